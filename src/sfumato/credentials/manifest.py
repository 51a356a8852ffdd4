"""What a manifest says (docs/credentials.md): the definitions c2pa's Builder takes, as plain data.

An image made from a prompt: one `c2pa.created` action, `digitalSourceType` trainedAlgorithmicMedia (the
IPTC term the EU AI Act's marking is read by), Sfumato as the software agent, the model (and adapters) in
its parameters, its time; the prompt only where the operator turns that on. An image made from another
(image-to-image, inpainting, an edit, a variation, a transform) names that one as its `parentOf` ingredient:
c2pa then writes the `c2pa.opened` action of it, and this module the action that followed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sfumato import __version__

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
SOFTWARE = "Sfumato"


@dataclass(frozen=True)
class Making:
    """How one generated image was made, as far as its manifest tells."""

    model: str
    when: datetime
    adapters: Sequence[tuple[str, float]] = ()  # LoRA adapters: name, weight
    prompt: str | None = None  # only where the operator includes prompts
    negative_prompt: str | None = None
    mode: str = "text"  # domain.inputs: text, image, inpaint

    def parameters(self) -> dict[str, Any]:
        given: dict[str, Any] = {"model": self.model}
        if self.adapters:
            given["adapters"] = [{"name": name, "weight": weight} for name, weight in self.adapters]
        if self.prompt is not None:
            given["prompt"] = self.prompt
            if self.negative_prompt:
                given["negative_prompt"] = self.negative_prompt
        return given


@dataclass(frozen=True)
class Change:
    """A stored image converted, resized or recompressed (POST /v1/images/{id}/transform)."""

    when: datetime
    converted: bool  # another format
    resized: bool

    def actions(self) -> list[str]:
        named = ["c2pa.converted"] if self.converted else []
        named += ["c2pa.resized"] if self.resized else []
        return named or ["c2pa.transcoded"]  # recompressed only


def _agent() -> dict[str, str]:
    return {"name": SOFTWARE, "version": __version__}


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _definition(title: str, fmt: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": title,
        "format": MIME_TYPES[fmt],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
    }


def generated(title: str, fmt: str, making: Making, *, from_parent: bool) -> dict[str, Any]:
    """A generated image's manifest. `from_parent`: its input is its ingredient, and the action is
    `c2pa.edited` (inpainting: part of it drawn anew, compositeWithTrainedAlgorithmicMedia)."""
    action: dict[str, Any] = {
        "action": "c2pa.edited" if from_parent else "c2pa.created",
        "digitalSourceType": COMPOSITE if from_parent and making.mode == "inpaint" else TRAINED,
        "softwareAgent": _agent(),
        "when": _iso(making.when),
        "parameters": making.parameters(),
    }
    return _definition(title, fmt, [action])


def transformed(title: str, fmt: str, change: Change) -> dict[str, Any]:
    """A transform's manifest: what was done to its parent, by Sfumato."""
    when = _iso(change.when)
    actions = [{"action": name, "softwareAgent": _agent(), "when": when} for name in change.actions()]
    return _definition(title, fmt, actions)


def ingredient(title: str) -> dict[str, Any]:
    """How an image's parent is named among its ingredients."""
    return {"title": title, "relationship": "parentOf", "label": "parent"}
