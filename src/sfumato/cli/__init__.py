"""The command line (docs/cli.md). Every expected failure is one line on stderr, never a traceback."""

from sfumato.cli import credentials, generate, keys, loras, models, serving
from sfumato.cli.common import app

__all__ = ["app", "credentials", "generate", "keys", "loras", "main", "models", "serving"]


def main() -> None:
    app()
