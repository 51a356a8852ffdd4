"""Writes the schemas the chart's objects are checked against (tests/deploy/schemas/), from their published
sources, keeping only what those objects need. Run it by hand when the chart uses a new kind or moves to
another Kubernetes version; the tests read the files it wrote, offline.

    pip download --no-deps -d /tmp/kv kubernetes-validate==1.37.0 && unzip -q /tmp/kv/*.whl -d /tmp/kv
    python -m tests.deploy.refresh_schemas \\
        /tmp/kv/kubernetes_validate/kubernetes-json-schema/v1.32.0-local-strict \\
        CRDS-CATALOG-CHECKOUT/keda.sh

The Kubernetes schemas are those of kubernetes-validate (PyPI), made from Kubernetes' OpenAPI document by
openapi2jsonschema as yannh/kubernetes-json-schema's are, "strict" (no property the API does not define);
KEDA's are datreeio/CRDs-catalog's, made from KEDA's CustomResourceDefinitions. Kept now: Kubernetes
v1.32.0 from kubernetes-validate 1.37.0; KEDA's `keda.sh/*_v1alpha1.json` of CRDs-catalog at 7b1e26ef (last
changed in 2316b2f8, August 2025)."""

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "schemas"
KUBERNETES = HERE / "kubernetes"
KINDS = [  # file names of the kinds the chart renders
    "configmap-v1",
    "deployment-apps-v1",
    "horizontalpodautoscaler-autoscaling-v2",
    "ingress-networking-v1",
    "job-batch-v1",
    "persistentvolumeclaim-v1",
    "poddisruptionbudget-policy-v1",
    "secret-v1",
    "service-v1",
]
KEDA = ["scaledobject_v1alpha1", "triggerauthentication_v1alpha1"]
PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")  # from a kind's file; within the definitions


def _name(ref: str) -> str:
    for prefix in PREFIXES:
        if ref.startswith(prefix):
            return ref.removeprefix(prefix)
    raise ValueError(f"a reference outside the definitions: {ref}")


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {_name(node["$ref"])} if "$ref" in node else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(value) for value in node))
    return set()


def main(kubernetes: Path, keda: Path) -> None:
    KUBERNETES.mkdir(parents=True, exist_ok=True)
    definitions = json.loads((kubernetes / "_definitions.json").read_text())
    wanted: set[str] = set()
    for kind in KINDS:
        schema = json.loads((kubernetes / f"{kind}.json").read_text())
        (KUBERNETES / f"{kind}.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        wanted |= refs(schema)
    kept: dict[str, Any] = {}
    while wanted:  # the definitions reachable from the kinds, and no others
        name = wanted.pop()
        if name not in kept:
            kept[name] = definitions["$defs"][name]
            wanted |= refs(kept[name]) - kept.keys()
    definitions["$defs"] = dict(sorted(kept.items()))
    (KUBERNETES / "_definitions.json").write_text(json.dumps(definitions, indent=1, sort_keys=True) + "\n")
    for name in KEDA:
        schema = json.loads((keda / f"{name}.json").read_text())
        (HERE / f"keda-{name}.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
