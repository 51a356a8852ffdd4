"""The local pair's files: made once in the data directory, the key owner-only, the CA's key not kept;
processes starting at once agree on one pair; a replaced pair's CA is kept to verify what it signed."""

import stat
from datetime import UTC, datetime
from pathlib import Path

from sfumato.credentials.local import local_files, make_local, read_local, retired_anchors
from tests.conftest import all_at_once

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_local_pair_is_made_once_with_an_owner_only_key(tmp_path: Path) -> None:
    pair = read_local(tmp_path, NOW)
    files = local_files(tmp_path)
    assert pair == (files.chain.read_bytes(), files.key.read_bytes())
    assert mode(files.key) == 0o600 and mode(files.folder) == 0o700
    assert read_local(tmp_path, NOW) == pair  # the second start reads the first's
    assert files.folder == tmp_path / "c2pa"
    assert sorted(path.name for path in files.folder.iterdir() if not path.name.startswith(".")) == [
        "local-ca.pem",
        "local-signer.key",
        "local-signer.pem",
    ]


def test_reading_without_making_finds_none_and_makes_nothing(tmp_path: Path) -> None:
    assert read_local(tmp_path, NOW, make=False) is None
    assert not (tmp_path / "c2pa").exists()


def test_the_cas_own_key_is_not_kept(tmp_path: Path) -> None:
    files = make_local(tmp_path, NOW)
    keys = [path for path in tmp_path.rglob("*") if path.is_file() and b"PRIVATE KEY" in path.read_bytes()]
    assert keys == [files.key]


def test_processes_starting_at_once_agree_on_one_pair(tmp_path: Path) -> None:
    made, errors = all_at_once(6, lambda: read_local(tmp_path, NOW))
    assert errors == [] and len(set(made)) == 1
    assert not [path for path in (tmp_path / "c2pa").iterdir() if path.name.endswith(".partial")]


def test_a_folder_that_exists_already_is_used_in_place(tmp_path: Path) -> None:
    (tmp_path / "c2pa").mkdir()  # a volume mounted there, which cannot be renamed over
    assert read_local(tmp_path, NOW) is not None


def test_a_new_pair_retires_the_old_one_keeping_its_ca_without_its_key(tmp_path: Path) -> None:
    old = make_local(tmp_path, NOW).ca.read_bytes()
    assert make_local(tmp_path, NOW).ca.read_bytes() == old  # without replace, the pair stays
    new = make_local(tmp_path, NOW, replace=True)
    assert new.ca.read_bytes() != old
    (retired,) = retired_anchors(tmp_path)
    assert retired.read_bytes() == old
    keys = [path for path in tmp_path.rglob("*.key")]
    assert keys == [new.key]
