"""Where the data lives when SFUMATO_DATA_DIR is not set (home.py, docs/cli.md): one folder, whatever the
current directory, so that keys made from another folder reach the server's database."""

from pathlib import Path

import pytest

from sfumato.config import Settings
from sfumato.home import default_data_dir

ROOT = Path(__file__).resolve().parents[1]


def test_a_checkout_keeps_its_data_beside_its_launcher(tmp_path: Path) -> None:
    checkout = tmp_path / "clone"
    (checkout / "src" / "sfumato").mkdir(parents=True)
    (checkout / "sfumato").write_text("#!/usr/bin/env bash\n")
    (checkout / "pyproject.toml").write_text("[project]\nname = 'sfumato'\n")
    assert default_data_dir(checkout / "src" / "sfumato" / "home.py") == checkout / "data"


def test_an_installed_package_keeps_its_data_in_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "sfumato" / "home.py"
    installed.parent.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_data_dir(installed) == tmp_path / "home" / ".local" / "share" / "sfumato"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir(installed) == tmp_path / "xdg" / "sfumato"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/xdg")  # the XDG rule: a relative path is ignored
    assert default_data_dir(installed) == tmp_path / "home" / ".local" / "share" / "sfumato"


def test_every_command_finds_the_same_database_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SFUMATO_DATA_DIR", raising=False)
    monkeypatch.delenv("SFUMATO_DATABASE_URL", raising=False)
    found = []
    for folder in (tmp_path / "one", tmp_path / "elsewhere"):
        folder.mkdir()
        monkeypatch.chdir(folder)
        found.append(Settings().database_url)
    assert found == [f"sqlite:///{ROOT / 'data' / 'sfumato.db'}"] * 2  # this checkout's data/, twice
