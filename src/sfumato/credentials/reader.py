"""Reading: c2pa's Reader finds an image's manifest store, checks its signature, its hashes of the pixels and
its certificate against the trust anchors; this module only summarizes what c2pa reports (domain.credentials).

Offline: no remote manifest is fetched and no OCSP request is made.
"""

import io
import json
from typing import Any

import c2pa

from sfumato.credentials.manifest import MIME_TYPES
from sfumato.domain.credentials import Action, Ingredient, Signed, Verdict


class Unreadable(Exception):
    """The bytes are not an image c2pa can parse (truncated, or not what their header says)."""


class Reader:
    def __init__(self, anchors_pem: bytes) -> None:
        settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
        if anchors_pem:
            settings["trust"] = {"user_anchors": anchors_pem.decode()}
        self._context = c2pa.Context.from_dict(settings)

    def read(self, data: bytes, fmt: str) -> Verdict:
        """What `data` (a png, jpeg or webp file) carries. Unreadable when c2pa cannot parse the file."""
        try:
            reader = c2pa.Reader(MIME_TYPES[fmt], io.BytesIO(data), context=self._context)
        except c2pa.C2paError.ManifestNotFound:
            return Verdict.absent()
        except (c2pa.C2paError.Other, c2pa.C2paError.Io, c2pa.C2paError.NotSupported) as error:
            raise Unreadable(str(error)) from None
        except c2pa.C2paError as error:  # a manifest is there, and c2pa cannot make sense of it
            return Verdict(present=True, failures=[type(error).__name__.removeprefix("_C2pa")])
        try:
            return _verdict(reader)
        finally:
            reader.close()


def _verdict(reader: c2pa.Reader) -> Verdict:
    state = reader.get_validation_state()
    manifests: dict[str, Any] = json.loads(reader.json()).get("manifests", {})
    active = reader.get_active_manifest() or {}
    results = reader.get_validation_results() or {}
    failures = [entry["code"] for entry in results.get("activeManifest", {}).get("failure", [])]
    info = active.get("signature_info") or {}
    return Verdict(
        present=True,
        valid=state in ("Valid", "Trusted"),
        trusted=state == "Trusted",
        signer=Signed(info.get("common_name"), info.get("issuer"), info.get("time")) if info else None,
        model=_model(active, manifests),
        actions=[_action(action) for action in _actions(active)],
        ingredients=[_ingredient(entry, manifests) for entry in active.get("ingredients", [])],
        failures=failures,
    )


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action
        for assertion in manifest.get("assertions", [])
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for action in assertion.get("data", {}).get("actions", [])
    ]


def _model(manifest: dict[str, Any], manifests: dict[str, Any], depth: int = 0) -> str | None:
    """The model the manifest's actions name; for an image made from another without one (a transform),
    its parent's, and so on up the chain."""
    for action in _actions(manifest):
        model = (action.get("parameters") or {}).get("model")
        if isinstance(model, str):
            return model
    for entry in manifest.get("ingredients", []):
        parent = manifests.get(entry.get("active_manifest") or "")
        if entry.get("relationship") == "parentOf" and parent and depth < 16:
            return _model(parent, manifests, depth + 1)
    return None


def _agent(agent: Any) -> str | None:
    if isinstance(agent, dict):
        return " ".join(str(agent[part]) for part in ("name", "version") if agent.get(part)) or None
    return str(agent) if agent else None


def _action(action: dict[str, Any]) -> Action:
    return Action(
        action=str(action.get("action")),
        when=action.get("when"),
        software_agent=_agent(action.get("softwareAgent")),
        digital_source_type=action.get("digitalSourceType"),
    )


def _ingredient(entry: dict[str, Any], manifests: dict[str, Any]) -> Ingredient:
    own = manifests.get(entry.get("active_manifest") or "")
    return Ingredient(
        title=entry.get("title"),
        relationship=entry.get("relationship"),
        format=entry.get("format"),
        has_credentials=own is not None,
        model=_model(own, manifests) if own else None,
    )
