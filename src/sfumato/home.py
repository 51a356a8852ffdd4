"""Where an installation keeps its data when `SFUMATO_DATA_DIR` is not set (docs/cli.md, "Where the data
lives"): one folder whatever the current directory, so that `serve`, `worker` and `keys` run from anywhere
always meet in the same database."""

import os
from pathlib import Path

LAUNCHER = "sfumato"  # the checkout's wrapper: scripts/bootstrap installs this package editable beside it


def default_data_dir(package: Path | None = None) -> Path:
    """`data/` beside the `sfumato` launcher of the checkout this package runs from (the folder a clone has
    always kept its data in); for a package installed without one (a wheel, the container image), the
    user's data folder of the XDG rule: `$XDG_DATA_HOME/sfumato`, else `~/.local/share/sfumato`.
    `package` stands for this module's own path (tests move it)."""
    checkout = (package or Path(__file__)).resolve().parents[2]  # <checkout>/src/sfumato/home.py
    if (checkout / LAUNCHER).is_file() and (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    base = os.environ.get("XDG_DATA_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share") / "sfumato"
