"""The Kubernetes chart (deploy/), rendered by `kubectl kustomize` for the default overlay and the two-pool
example: every object is valid for its kind's schema (Kubernetes 1.32, strict; KEDA's CRDs), offline, and the
fleet it describes keeps the promises of docs/deployment.md, "Kubernetes"."""

import copy
import re
from typing import Any

import pytest

from sfumato.config import Settings
from sfumato.db.pools import pool_query
from tests.deploy.render import problems, render

OVERLAYS = ["overlays/default", "overlays/two-pools"]
# A cold start with compilation, measured on an H100 (docs/benchmarks.md): a pool must not sleep sooner.
COLD_START_SECONDS = 289
SECRET_NAMES = re.compile(r"DATABASE_URL|REDIS_URL|SECRET|PASSWORD|ACCESS_KEY|C2PA_(KEY|CERT)")


@pytest.fixture(scope="module", params=OVERLAYS)
def chart(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def of_kind(chart: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [document for document in chart if document["kind"] == kind]


def named(chart: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [document for document in of_kind(chart, kind) if document["metadata"]["name"] == name]
    return found


def workers(chart: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        deployment
        for deployment in of_kind(chart, "Deployment")
        if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"
    ]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env(deployment: dict[str, Any]) -> dict[str, str]:
    return {variable["name"]: variable["value"] for variable in container(deployment).get("env", [])}


def selects(selector: dict[str, str], deployment: dict[str, Any]) -> bool:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(key) == value for key, value in selector.items())


def test_every_rendered_object_is_valid_for_its_kinds_schema(chart: list[dict[str, Any]]) -> None:
    assert {
        name: errors
        for document in chart
        if (errors := problems(document))
        for name in [f"{document['kind']}/{document['metadata']['name']}"]
    } == {}


def test_the_schemas_refuse_what_a_cluster_would_refuse(chart: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(named(chart, "Deployment", "sfumato-api"))
    deployment["spec"]["replica"] = 2  # a misspelt field: a strict schema names it
    container(deployment)["resources"]["requests"]["cpu"] = ["1"]
    assert len(problems(deployment)) == 2
    scaled = copy.deepcopy(of_kind(chart, "ScaledObject")[0])
    scaled["spec"]["coolDownPeriod"] = 600
    del scaled["spec"]["triggers"]
    assert len(problems(scaled)) == 2


def test_each_pools_scaler_runs_the_tested_query_of_the_models_its_workers_serve(
    chart: list[dict[str, Any]],
) -> None:
    pools = workers(chart)
    scalers = of_kind(chart, "ScaledObject")
    assert pools and len(scalers) == len(pools)
    served: list[str] = []
    for scaler in scalers:
        target = named(chart, "Deployment", scaler["spec"]["scaleTargetRef"]["name"])
        models = env(target)["SFUMATO_MODELS"].split(",")
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] == "postgresql"
        assert trigger["metadata"]["query"] == pool_query(models)  # the very text tests/db/test_pools.py runs
        assert trigger["authenticationRef"]["name"] == "sfumato-queue"
        served += models
    assert len(served) == len(set(served)), "a model in two pools would be counted by both"


def test_pools_sleep_when_idle_only_longer_after_than_a_cold_start_takes(chart: list[dict[str, Any]]) -> None:
    for scaler in of_kind(chart, "ScaledObject"):
        spec = scaler["spec"]
        assert spec["cooldownPeriod"] > COLD_START_SECONDS
        assert float(spec["triggers"][0]["metadata"]["targetQueryValue"]) >= 1
        assert spec["minReplicaCount"] in (0, 1) and spec["maxReplicaCount"] >= spec["minReplicaCount"]
    assert any(scaler["spec"]["minReplicaCount"] == 0 for scaler in of_kind(chart, "ScaledObject"))


def test_the_queue_credentials_come_from_the_secret(chart: list[dict[str, Any]]) -> None:
    (auth,) = of_kind(chart, "TriggerAuthentication")
    (secret,) = of_kind(chart, "Secret")
    (reference,) = auth["spec"]["secretTargetRef"]
    assert reference["parameter"] == "connection" and reference["name"] == secret["metadata"]["name"]
    assert reference["key"] in secret["data"]


def test_workers_drain_within_their_grace_and_claim_a_gpu_on_gpu_nodes(chart: list[dict[str, Any]]) -> None:
    for worker in workers(chart):
        pod = worker["spec"]["template"]["spec"]
        settings = env(worker)
        assert float(settings["SFUMATO_DRAIN_SECONDS"]) + 5 <= pod["terminationGracePeriodSeconds"]
        assert "replicas" not in worker["spec"]  # KEDA owns them
        resources = container(worker)["resources"]
        assert resources["limits"]["nvidia.com/gpu"] == 1 and resources["requests"]["nvidia.com/gpu"] == 1
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
        assert settings["SFUMATO_MODEL_MEMORY"] and settings["SFUMATO_MODELS"]
        port = settings["SFUMATO_METRICS_PORT"]
        assert container(worker)["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container(worker)["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert [p["containerPort"] for p in container(worker)["ports"]] == [int(port)]


def test_the_api_drains_within_its_grace_and_is_probed_on_its_health_routes(
    chart: list[dict[str, Any]],
) -> None:
    api = named(chart, "Deployment", "sfumato-api")
    pod = api["spec"]["template"]["spec"]
    pre_stop = int(container(api)["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pre_stop + float(env(api)["SFUMATO_DRAIN_SECONDS"]) < pod["terminationGracePeriodSeconds"]
    assert container(api)["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container(api)["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container(api)["args"][:2] == ["serve", "--no-worker"]
    hpa = named(chart, "HorizontalPodAutoscaler", "sfumato-api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "sfumato-api" and "replicas" not in api["spec"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    service = named(chart, "Service", "sfumato-api")
    assert selects(service["spec"]["selector"], api)


def test_every_deployment_has_a_budget_selecting_its_pods_and_no_other(chart: list[dict[str, Any]]) -> None:
    deployments = of_kind(chart, "Deployment")
    for budget in of_kind(chart, "PodDisruptionBudget"):
        chosen = [d for d in deployments if selects(budget["spec"]["selector"]["matchLabels"], d)]
        assert [d["metadata"]["name"] for d in chosen] == [budget["metadata"]["name"]]
    assert len(of_kind(chart, "PodDisruptionBudget")) == len(deployments)


def test_every_container_requests_cpu_and_memory_and_keeps_its_data_dir_on_a_volume(
    chart: list[dict[str, Any]],
) -> None:
    (settings,) = of_kind(chart, "ConfigMap")
    data_dir = settings["data"]["SFUMATO_DATA_DIR"]
    for document in [*of_kind(chart, "Deployment"), *of_kind(chart, "Job")]:
        pod = document["spec"]["template"]["spec"]
        for each in pod["containers"]:
            assert {"cpu", "memory"} <= set(each["resources"]["requests"]), document["metadata"]["name"]
            mounts = {mount["name"]: mount["mountPath"] for mount in each["volumeMounts"]}
            assert mounts.get("data") == data_dir
            assert [ref["configMapRef"]["name"] for ref in each["envFrom"] if "configMapRef" in ref] == [
                settings["metadata"]["name"]
            ]


def test_credentials_are_in_the_secret_and_never_in_a_config_map(chart: list[dict[str, Any]]) -> None:
    for config in of_kind(chart, "ConfigMap"):
        assert not [name for name in config["data"] if SECRET_NAMES.search(name)]
    (secret,) = of_kind(chart, "Secret")
    assert {"SFUMATO_DATABASE_URL", "SFUMATO_REDIS_URL", "SFUMATO_S3_SECRET_ACCESS_KEY"} <= set(
        secret["data"]
    )
    for document in [*of_kind(chart, "Deployment"), *of_kind(chart, "Job")]:
        for each in document["spec"]["template"]["spec"]["containers"]:
            assert not [name for name in env_names(each) if SECRET_NAMES.search(name)]
            assert {"secretRef": {"name": secret["metadata"]["name"]}} in each["envFrom"]


def env_names(each: dict[str, Any]) -> list[str]:
    return [variable["name"] for variable in each.get("env", [])]


def test_the_migration_runs_once_before_the_rollout(chart: list[dict[str, Any]]) -> None:
    (job,) = of_kind(chart, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "PreSync"
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    (each,) = job["spec"]["template"]["spec"]["containers"]
    assert each["args"] == ["db", "upgrade"] and job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_two_pool_example_has_two_pools_an_ingress_and_a_shared_cache() -> None:
    chart = render("overlays/two-pools")
    assert sorted(d["metadata"]["name"] for d in workers(chart)) == [
        "sfumato-worker-flux",
        "sfumato-worker-lightning",
    ]
    (ingress,) = of_kind(chart, "Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "sfumato-api"
    (claim,) = of_kind(chart, "PersistentVolumeClaim")
    for worker in workers(chart):
        volumes = {v["name"]: v for v in worker["spec"]["template"]["spec"]["volumes"]}
        assert volumes["data"] == {
            "name": "data",
            "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]},
        }


def test_every_sfumato_variable_the_chart_sets_is_a_setting(chart: list[dict[str, Any]]) -> None:
    known = {f"SFUMATO_{name.upper()}" for name in Settings.model_fields}
    given = set()
    for document in [*of_kind(chart, "ConfigMap"), *of_kind(chart, "Secret")]:
        given |= set(document["data"])
    for document in [*of_kind(chart, "Deployment"), *of_kind(chart, "Job")]:
        for each in document["spec"]["template"]["spec"]["containers"]:
            given |= set(env_names(each))
    assert {name for name in given if name.startswith("SFUMATO_")} - known == set()
