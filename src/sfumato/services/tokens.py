"""How long a prompt is to the model that reads it, before anything is generated: its text encoder's tokens,
counted with the model's own tokenizer, against what the encoder reads (the studio's count under the prompt;
text past it is cut, and the job says so only after it ran)."""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.models import MODELS, ModelSpec


@dataclass(frozen=True)
class TokenCount:
    tokens: int | None  # None: this process has no tokenizer for the model
    limit: int | None  # the tokens the text encoder reads; the rest is ignored


class TokenCounter:
    def __init__(self, served: Sequence[str], tokenizer_of: Callable[[ModelSpec], Any]) -> None:
        self.served = tuple(served)
        self.tokenizer_of = tokenizer_of  # engine.tokenizer.tokenizer_for, with this server's weights
        self._tokenizers: dict[str, Any] = {}
        self._lock = threading.Lock()

    def count(self, model: str, text: str) -> TokenCount:
        """The tokens of `text` (start and end tokens left out) for `model`; blocking: call it in a thread."""
        if model not in self.served:
            raise InvalidParameter(f"model {model!r} is not served here", param="model")
        tokenizer = self._tokenizer(model)
        if tokenizer is None:
            return TokenCount(None, None)
        ids = tokenizer(text, truncation=False, verbose=False).input_ids
        return TokenCount(len(ids) - 2, tokenizer.model_max_length - 2)

    def _tokenizer(self, model: str) -> Any:
        with self._lock:  # loaded once per model, the first time it is asked
            if model not in self._tokenizers:
                self._tokenizers[model] = self.tokenizer_of(MODELS[model])
            return self._tokenizers[model]
