"""The `Prefer` request header (RFC 7240): `respond-async` and `wait=N`."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Prefer:
    respond_async: bool = False
    wait: int | None = None

    def applied(self) -> str | None:
        """The `Preference-Applied` answer for what was honoured."""
        parts = (["respond-async"] if self.respond_async else []) + (
            [f"wait={self.wait}"] if self.wait is not None else []
        )
        return ", ".join(parts) or None


def parse_prefer(values: list[str]) -> Prefer:
    """Preferences not understood, or malformed, are ignored, as RFC 7240 asks."""
    respond_async, wait = False, None
    for value in values:
        for token in value.split(","):
            name, _, argument = token.partition("=")
            name, argument = name.strip().lower(), argument.strip().strip('"')
            if name == "respond-async":
                respond_async = True
            elif name == "wait" and argument.isdigit():
                wait = int(argument)
    return Prefer(respond_async, wait)
