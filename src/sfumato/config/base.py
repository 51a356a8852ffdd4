"""What every group of settings shares: the `SFUMATO_` prefix, and how a default is shown when its value
would mislead (a path filled in from another setting)."""

from typing import Any

from pydantic_settings import SettingsConfigDict

PREFIX = SettingsConfigDict(env_prefix="SFUMATO_", extra="ignore")


def shown(text: str) -> dict[str, Any]:
    """The default as docs/settings.md states it."""
    return {"shown": text}
