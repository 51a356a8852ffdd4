"""The command line (docs/cli.md). Every expected failure is one line on stderr, never a traceback."""

from sfumato.cli import credentials, generate, keys, models, serving
from sfumato.cli.common import app

__all__ = ["app", "credentials", "generate", "keys", "main", "models", "serving"]


def main() -> None:
    app()
