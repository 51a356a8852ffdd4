"""The operator's content policy: blocked terms and patterns a prompt may not contain.

One rule a line (files and SFUMATO_BLOCKED_TERMS alike):

- `term` or `two words`: matched as whole words, ignoring case, width forms (NFKC), invisible
  characters, and what separates the words (`two-words`, `two_words`, `two  words` all match);
- `term*`: the term as the start of a word (`nud*` matches `nude`, `nudity`);
- `re:PATTERN`: a Python regular expression, searched in the lowercased prompt;
- blank lines and lines starting with `#` are skipped.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from sfumato.domain.errors import ContentPolicyViolation

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # soft hyphen, zero widths


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()


def compile_rule(rule: str) -> re.Pattern[str]:
    """A rule of the module's syntax as a pattern over normalized text; ValueError if it is not one."""
    if rule.startswith("re:"):
        try:
            return re.compile(rule[3:], re.IGNORECASE)
        except re.error as error:
            raise ValueError(f"invalid pattern {rule!r}: {error}") from None
    prefix = rule.endswith("*")
    words = [word for word in re.split(r"[\W_]+", normalize(rule.rstrip("*"))) if word]
    if not words:
        raise ValueError(f"empty rule {rule!r}")
    body = r"[\W_]+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}" + (r"\w*" if prefix else r"(?!\w)"))


def read_rules(lines: Iterable[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@dataclass(frozen=True)
class ContentPolicy:
    rules: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def of(cls, rules: Iterable[str]) -> "ContentPolicy":
        return cls(tuple((rule, compile_rule(rule)) for rule in rules))

    @classmethod
    def shipped_rules(cls) -> list[str]:
        """The default list, domain/blocked_terms.txt."""
        text = resources.files("sfumato.domain").joinpath("blocked_terms.txt").read_text(encoding="utf-8")
        return read_rules(text.splitlines())

    def matching_rule(self, text: str) -> str | None:
        normalized = normalize(text)
        for rule, pattern in self.rules:
            if pattern.search(normalized):
                return rule
        return None

    def check(self, prompt: str, *, param: str = "prompt") -> None:
        """ContentPolicyViolation (403) when the prompt matches a rule; the rule is not told."""
        if self.matching_rule(prompt) is not None:
            raise ContentPolicyViolation(
                "the prompt goes against this service's content policy; nothing was generated",
                param=param,
            )
