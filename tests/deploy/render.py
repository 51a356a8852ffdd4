"""The chart as a cluster would receive it: `kubectl kustomize` renders an overlay (scripts/system-packages
installs kubectl), and every object is checked offline against the schema of its kind, kept in
tests/deploy/schemas/ (refresh_schemas.py says where they come from): Kubernetes 1.32's, strict, and KEDA's
CustomResourceDefinitions'."""

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
KIND_FILES = {
    ("v1", "ConfigMap"): "kubernetes/configmap-v1",
    ("v1", "PersistentVolumeClaim"): "kubernetes/persistentvolumeclaim-v1",
    ("v1", "Secret"): "kubernetes/secret-v1",
    ("v1", "Service"): "kubernetes/service-v1",
    ("apps/v1", "Deployment"): "kubernetes/deployment-apps-v1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "kubernetes/horizontalpodautoscaler-autoscaling-v2",
    ("batch/v1", "Job"): "kubernetes/job-batch-v1",
    ("networking.k8s.io/v1", "Ingress"): "kubernetes/ingress-networking-v1",
    ("policy/v1", "PodDisruptionBudget"): "kubernetes/poddisruptionbudget-policy-v1",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda-scaledobject_v1alpha1",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda-triggerauthentication_v1alpha1",
}


@cache
def kubectl() -> str:
    """kubectl, with the kustomize the chart is written for (v5: `components`, `labels`, `patches`)."""
    found = shutil.which("kubectl")
    assert found, "kubectl is missing: scripts/system-packages installs it"
    answer = subprocess.run([found, "version", "--client", "-o", "json"], capture_output=True, timeout=60)
    version = json.loads(answer.stdout).get("kustomizeVersion", "v0")
    assert int(version.lstrip("v").split(".")[0]) >= 5, f"{found} has kustomize {version}; the chart needs v5"
    return found


def render(overlay: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize deploy/<overlay>` renders, in its order."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(DEPLOY / overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@cache
def _registry() -> Registry:
    definitions = json.loads((SCHEMAS / "kubernetes" / "_definitions.json").read_text())
    return Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))


def validator(api_version: str, kind: str) -> Validator:
    """The strict schema of this kind; a kind the chart renders with no schema kept is an error."""
    name = KIND_FILES.get((api_version, kind))
    assert name is not None, f"no schema kept for {api_version} {kind}: add it (refresh_schemas.py)"
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    if name.startswith("kubernetes/"):
        return Draft202012Validator(schema, registry=_registry())
    return Draft7Validator(schema)  # KEDA's: OpenAPI v3 schemas, as draft 7 reads them


def problems(document: dict[str, Any]) -> list[str]:
    """What the schema of the document's kind finds wrong in it, one line each."""
    check = validator(document.get("apiVersion", ""), document.get("kind", ""))
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in check.iter_errors(document)
    ]
