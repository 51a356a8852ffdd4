"""What an image is called when nobody named it (docs/api.md §5): the prompt's first words, not "untitled";
and which images a person means as "the same name" (docs/dashboard.md, an image's page)."""

import re
from collections.abc import Sequence

from sfumato.domain.images import Image
from sfumato.domain.rules import DEFAULT_NAME

NAME_WORDS = 6  # a default name is at most this many of the prompt's words …
NAME_CHARACTERS = 60  # … and this many characters, cut at a word
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")  # letters and digits, with inner apostrophes and hyphens


def default_name(prompt: str) -> str:
    """The prompt's first words, lower case, without punctuation; "untitled" for a prompt without words."""
    name = ""
    for word in _WORD.findall(prompt.lower())[:NAME_WORDS]:
        longer = f"{name} {word}" if name else word
        if len(longer) > NAME_CHARACTERS:
            break
        name = longer
    return name or DEFAULT_NAME


def lineage(image: Image, candidates: Sequence[Image]) -> list[Image]:
    """Those of `candidates` that descend from `image`, or it from them, or both from one image: each image
    names the one it was made from (`source_image_id`), and a chain is followed within `candidates`."""
    known = {other.id: other for other in (*candidates, image)}

    def root(of: Image) -> str:
        chain = [of.id]
        while of.source_image_id in known and of.source_image_id not in chain:
            of = known[of.source_image_id]
            chain.append(of.id)
        if of.source_image_id in chain:  # a loop, which no request can make: its least id stands for it
            return min(chain[chain.index(of.source_image_id) :])
        return of.source_image_id or of.id

    mine = root(image)
    return [other for other in candidates if other.id != image.id and root(other) == mine]
