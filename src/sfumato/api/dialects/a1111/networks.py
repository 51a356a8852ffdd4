"""AUTOMATIC1111's extra networks in a prompt: `<lora:NAME:WEIGHT>` read, and every `<kind:args>` removed, as
AUTOMATIC1111 does. Taken from its source: modules/extra_networks.py (`re_extra_net`, `parse_prompt`: every
match is cut from the prompt, whichever network it names; `ExtraNetworkParams`: the arguments split at ':',
an `a=b` argument named, the others positional) and extensions-builtin/Lora/extra_networks_lora.py
(`activate`: the first positional argument is the name, the second the text encoder's multiplier (1.0 when
absent, `te=` over it), the third the UNet's (the text encoder's when absent, `unet=` over it); `lyco` is an
alias of `lora`). Here one weight applies to an adapter's every part, so the two multipliers must agree."""

import re
from dataclasses import dataclass
from typing import Any

from sfumato.domain.errors import InvalidParameter

EXTRA_NETWORK = re.compile(r"<(\w+):([^>]+)>")  # modules/extra_networks.py, re_extra_net
LORA_NETWORKS = ("lora", "lyco")
LORA_ID = re.compile(r"^lora_[0-9a-f]{24}$")  # a LoRA's id may stand for its name


@dataclass(frozen=True)
class Networks:
    prompt: str  # every `<kind:args>` cut out
    loras: list[dict[str, Any]]  # as a request's `loras` takes them


def parse(prompt: str) -> Networks:
    found: list[list[str]] = []

    def cut(match: re.Match[str]) -> str:
        if match[1] in LORA_NETWORKS:
            found.append(match[2].split(":"))
        return ""

    return Networks(EXTRA_NETWORK.sub(cut, prompt), [_use(items) for items in found])


def _use(items: list[str]) -> dict[str, Any]:
    positional: list[str] = []
    named: dict[str, str] = {}
    for item in items:
        parts = item.split("=", 2)
        if len(parts) == 2:
            named[parts[0]] = parts[1]
        else:
            positional.append(item)
    if not positional:
        raise InvalidParameter("a <lora:…> in the prompt names no LoRA: <lora:NAME:WEIGHT>", param="prompt")
    name = positional[0]
    try:
        te = float(positional[1]) if len(positional) > 1 else 1.0
        te = float(named.get("te", te))
        unet = float(positional[2]) if len(positional) > 2 else te
        unet = float(named.get("unet", unet))
    except ValueError:
        raise InvalidParameter(f"<lora:{name}:…> has a weight that is not a number", param="prompt") from None
    if te != unet:
        raise InvalidParameter(
            f"<lora:{name}:…> gives the text encoder and the UNet different weights; here one weight applies "
            "to the whole adapter: <lora:NAME:WEIGHT>",
            param="prompt",
        )
    return {"id" if LORA_ID.match(name) else "name": name, "weight": unet}


def lora_entry(lora: Any) -> dict[str, Any]:
    """One adapter as GET /sdapi/v1/loras lists it (extensions-builtin/Lora/scripts/lora_script.py's
    `create_lora_json`: name, alias, path, metadata): no path of this server's, its facts as metadata."""
    return {
        "name": lora.name,
        "alias": lora.name,
        "path": f"{lora.name}.safetensors",
        "metadata": {
            "ss_base_model_version": lora.family,
            "ss_network_dim": str(lora.rank),
            "sshs_model_hash": lora.sha256,
            "trigger_words": ", ".join(lora.trigger_words),
        },
    }
