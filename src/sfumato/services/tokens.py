"""How long a prompt is to the model that reads it, before anything is generated: the tokens of the text
encoder that reads furthest (engine.prompt_reader), counted with the model's own tokenizer, against what
that encoder reads (the studio's count under the prompt; text past it is cut, and the job says so only after
it ran)."""

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.models import ModelSpec


@dataclass(frozen=True)
class TokenCount:
    tokens: int | None  # None: this process has no tokenizer for the model
    limit: int | None  # the tokens the text encoder reads; the rest is ignored


class TokenCounter:
    def __init__(self, catalogue: Mapping[str, ModelSpec], reader_of: Callable[[ModelSpec], Any]) -> None:
        self.catalogue = catalogue
        self.reader_of = reader_of  # engine.prompt_reader.prompt_reader, with this server's weights
        self._readers: dict[str, Any] = {}
        self._lock = threading.Lock()

    def count(self, model: str, text: str) -> TokenCount:
        """The tokens of `text` (special tokens left out) for `model`; blocking: call it in a thread."""
        if model not in self.catalogue:
            raise InvalidParameter(f"model {model!r} is not in this server's catalogue", param="model")
        reader = self._reader(model)
        if reader is None:
            return TokenCount(None, None)
        ids = reader.tokenizer(text, truncation=False, verbose=False).input_ids
        return TokenCount(len(ids) - reader.specials, reader.tokens)

    def _reader(self, model: str) -> Any:
        with self._lock:  # found once per model, the first time it is asked
            if model not in self._readers:
                self._readers[model] = self.reader_of(self.catalogue[model])
            return self._readers[model]
