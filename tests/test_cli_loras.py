"""`sfumato loras add | list | delete` (docs/cli.md): the operator's adapters, shared with every key or one
key's; a bad file is one line, and nothing is stored."""

import json
from pathlib import Path

import pytest

from tests.loras import pickled, tiny_lora
from tests.test_cli import run


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SFUMATO_DATA_DIR": str(tmp_path / "data"), "SFUMATO_MODEL": "tiny"}


@pytest.fixture
def lora_file(tmp_path: Path) -> Path:
    path = tmp_path / "ink.safetensors"
    path.write_bytes(tiny_lora(1, text=True))
    return path


def stored_files(env: dict[str, str]) -> list[Path]:
    return sorted(Path(env["SFUMATO_DATA_DIR"]).rglob("loras/*.safetensors"))


def test_add_shared_stores_it_for_every_key_and_list_shows_it(env: dict[str, str], lora_file: Path) -> None:
    added = run(env, "loras", "add", str(lora_file), "--name", "ink", "--shared", "--json")
    assert added.exit_code == 0, added.output
    shown = json.loads(added.stdout)
    assert (shown["name"], shown["family"], shown["rank"], shown["shared"]) == ("ink", "sdxl", 4, True)
    assert shown["size"] == lora_file.stat().st_size and "in the database sqlite:///" in added.stderr
    assert [path.name for path in stored_files(env)] == [f"{shown['id']}.safetensors"]
    listed = run(env, "loras", "list")
    assert listed.exit_code == 0 and f"{shown['id']} ink" in listed.stdout and "shared" in listed.stdout


def test_add_for_a_key_makes_it_that_keys_own(env: dict[str, str], lora_file: Path) -> None:
    key_id = json.loads(run(env, "keys", "create", "--name", "me", "--json").stdout)["id"]
    added = run(env, "loras", "add", str(lora_file), "--name", "ink", "--key", key_id, "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["shared"] is False
    assert run(env, "loras", "list").stdout.strip() == ""  # the shared ones alone
    assert key_id in run(env, "loras", "list", "--key", key_id).stdout


@pytest.mark.parametrize("flags", [[], ["--shared", "--key", "key_x"]])
def test_add_needs_shared_or_one_key(env: dict[str, str], lora_file: Path, flags: list[str]) -> None:
    result = run(env, "loras", "add", str(lora_file), "--name", "ink", *flags)
    assert result.exit_code == 1
    assert result.stderr.strip() == "sfumato: give --shared (every key's) or --key KEY_ID (one key's)"


def test_a_pickle_is_one_line_and_nothing_is_stored(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "old.ckpt"
    path.write_bytes(pickled())
    result = run(env, "loras", "add", str(path), "--name", "old", "--shared")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("sfumato: file is a pickled checkpoint")
    assert stored_files(env) == [] and run(env, "loras", "list").stdout.strip() == ""


def test_a_missing_file_and_a_name_taken_are_one_line(env: dict[str, str], lora_file: Path) -> None:
    missing = run(env, "loras", "add", str(lora_file.parent / "none.safetensors"), "--name", "x", "--shared")
    assert missing.exit_code == 1 and missing.stderr.startswith("sfumato: cannot read")
    assert run(env, "loras", "add", str(lora_file), "--name", "ink", "--shared").exit_code == 0
    again = run(env, "loras", "add", str(lora_file), "--name", "ink", "--shared")
    assert again.exit_code == 1 and "exists already" in again.stderr


def test_delete_removes_a_shared_lora_and_its_file(env: dict[str, str], lora_file: Path) -> None:
    lora_id = json.loads(
        run(env, "loras", "add", str(lora_file), "--name", "ink", "--shared", "--json").stdout
    )["id"]
    deleted = run(env, "loras", "delete", lora_id)
    assert deleted.exit_code == 0 and deleted.stdout.startswith(f"deleted {lora_id} (ink)")
    assert stored_files(env) == []
    assert run(env, "loras", "delete", lora_id).exit_code == 1
