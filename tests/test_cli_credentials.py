"""`sfumato credentials show | init | verify`, and content credentials on `sfumato generate`'s files and at
the start of `serve` and `worker` (docs/cli.md)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.certificates import issue
from tests.manifests import read_back, stripped, tampered
from tests.test_cli import run


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SFUMATO_DATA_DIR": str(tmp_path / "data"), "SFUMATO_MODEL": "tiny"}


def generated(env: dict[str, str], out: Path, *extra: str) -> bytes:
    result = run(env, "generate", "a fox", "-o", str(out), "--width", "256", "--height", "256", *extra)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_show_says_there_is_no_pair_before_one_is_made(env: dict[str, str]) -> None:
    result = run(env, "credentials", "show")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "sfumato: no local pair yet: the first `sfumato serve` makes one, or `sfumato credentials init`"
    )


def test_init_makes_a_local_pair_that_show_describes_without_its_key(
    env: dict[str, str], tmp_path: Path
) -> None:
    made = run(env, "credentials", "init", "--organization", "Example Studio")
    assert made.exit_code == 0, made.output
    shown = json.loads(run(env, "credentials", "show", "--json").stdout)
    assert (shown["signer"], shown["local"], shown["algorithm"]) == ("Sfumato local signer", True, "ES256")
    assert shown["content_credentials"] == "on" and shown["folder"] == str(tmp_path / "data" / "c2pa")
    text = run(env, "credentials", "show").stdout
    assert "PRIVATE" not in text and "signer: Sfumato local signer" in text
    ca = run(env, "credentials", "show", "--ca-pem").stdout
    assert ca.encode() == (tmp_path / "data" / "c2pa" / "local-ca.pem").read_bytes()
    assert ca.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE" not in ca


def test_init_replaces_a_pair_only_with_force(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "credentials", "init").exit_code == 0
    first = run(env, "credentials", "show", "--ca-pem").stdout
    again = run(env, "credentials", "init")
    assert again.exit_code == 1 and "--force replaces it" in again.stderr
    assert run(env, "credentials", "init", "--force").exit_code == 0
    assert run(env, "credentials", "show", "--ca-pem").stdout != first


def test_generate_signs_its_file_and_verify_reads_it_offline(env: dict[str, str], tmp_path: Path) -> None:
    data = generated(env, tmp_path / "fox.png")
    ca = (tmp_path / "data" / "c2pa" / "local-ca.pem").read_bytes()
    assert read_back(data, ca).state == "Trusted"
    result = run(env, "credentials", "verify", str(tmp_path / "fox.png"))
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'fox.png'}: content credentials valid, trusted" in result.stdout
    assert "made with: tiny" in result.stdout
    verdict = json.loads(run(env, "credentials", "verify", str(tmp_path / "fox.png"), "--json").stdout)
    assert (verdict["present"], verdict["valid"], verdict["trusted"], verdict["model"]) == (
        True,
        True,
        True,
        "tiny",
    )


def test_verify_exits_1_for_a_tampered_or_stripped_file(env: dict[str, str], tmp_path: Path) -> None:
    data = generated(env, tmp_path / "fox.jpeg")
    (tmp_path / "tampered.jpeg").write_bytes(tampered(data))
    (tmp_path / "stripped.jpeg").write_bytes(stripped(data))
    broken = run(env, "credentials", "verify", str(tmp_path / "tampered.jpeg"))
    assert broken.exit_code == 1 and "content credentials INVALID" in broken.stdout
    assert "failure: assertion.dataHash.mismatch" in broken.stdout
    bare = run(env, "credentials", "verify", str(tmp_path / "stripped.jpeg"))
    assert bare.exit_code == 1 and bare.stdout.strip().endswith("stripped.jpeg: no content credentials")


def test_generate_from_an_image_names_it_as_parent(env: dict[str, str], tmp_path: Path) -> None:
    source = generated(env, tmp_path / "in.png")
    data = generated(env, tmp_path / "out.png", "--image", str(tmp_path / "in.png"))
    found = read_back(data, (tmp_path / "data" / "c2pa" / "local-ca.pem").read_bytes())
    assert found.state == "Trusted" and [parent["title"] for parent in found.parents()] == ["in.png"]
    assert source != data


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_an_expired_certificate_stops_the_start_in_one_line(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    cert, key = issue(not_after=datetime.now(UTC) - timedelta(days=3)).write(tmp_path / "secrets")
    result = run(env | {"SFUMATO_C2PA_CERT": str(cert), "SFUMATO_C2PA_KEY": str(key)}, *command)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "sfumato: content credentials: SFUMATO_C2PA_CERT: Example Operator signer expired on"
    )


def test_a_certificate_without_its_key_is_a_bad_setting(env: dict[str, str], tmp_path: Path) -> None:
    cert, _ = issue().write(tmp_path / "secrets")
    result = run(env | {"SFUMATO_C2PA_CERT": str(cert)}, "credentials", "show")
    assert result.exit_code == 1
    assert "SFUMATO_C2PA_CERT and SFUMATO_C2PA_KEY go together" in result.stderr


def test_off_generates_a_file_without_content_credentials(env: dict[str, str], tmp_path: Path) -> None:
    data = generated(env | {"SFUMATO_CONTENT_CREDENTIALS": "off"}, tmp_path / "plain.png")
    assert read_back(data).state is None
    assert not (tmp_path / "data" / "c2pa").exists()
