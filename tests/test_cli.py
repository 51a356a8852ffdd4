"""The command line of docs/api.md §1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from sfumato.cli import app
from tests.conftest import TEMPLATE
from tests.pictures import SVG, encoded, noise, square_mask
from tests.servers import PostgresServer, S3Server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SFUMATO_DATA_DIR": str(tmp_path / "data")}


def run(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env=env)


def test_keys_create_json_prints_one_line_with_the_key(env: dict[str, str]) -> None:
    result = run(env, "keys", "create", "--name", "me", "--json")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    created = json.loads(line)
    assert set(created) == {"id", "key", "name", "plan"}
    assert (created["name"], created["plan"]) == ("me", "starter") and created["key"].startswith("sfm_")


def test_keys_create_takes_plan_admin_and_limits(env: dict[str, str]) -> None:
    args = ["keys", "create", "--name", "ops", "--plan", "enterprise", "--admin", "--rpm", "7"]
    result = run(env, *args, "--monthly-images", "9", "--json")
    assert json.loads(result.stdout)["plan"] == "enterprise"
    (listed,) = json.loads(run(env, "keys", "list", "--json").stdout)
    assert (listed["admin"], listed["rpm"], listed["monthly_images"]) == (True, 7, 9)


def test_an_admin_key_made_here_is_the_operators_own_on_the_operator_plan(env: dict[str, str]) -> None:
    made = json.loads(run(env, "keys", "create", "--name", "me", "--admin", "--json").stdout)
    assert made["plan"] == "operator"
    told = run(env, "keys", "create", "--name", "ops", "--admin", "--plan", "starter", "--json")
    assert json.loads(told.stdout)["plan"] == "starter"  # a plan named wins
    assert json.loads(run(env, "keys", "create", "--name", "client", "--json").stdout)["plan"] == "starter"


def test_keys_create_takes_the_keys_own_queue_cap_and_highest_priority(env: dict[str, str]) -> None:
    result = run(env, "keys", "create", "--name", "batch", "--max-queued", "5", "--max-priority", "high")
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(run(env, "keys", "list", "--json").stdout)
    assert (listed["max_queued"], listed["max_priority"]) == (5, "high")
    refused = run(env, "keys", "create", "--name", "me", "--max-priority", "urgent")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "sfumato: max_priority must be one of low, normal, high"
    assert run(env, "keys", "create", "--name", "me", "--max-queued", "0").exit_code == 2


def test_keys_list_never_shows_the_key(env: dict[str, str]) -> None:
    key = json.loads(run(env, "keys", "create", "--name", "me", "--json").stdout)["key"]
    result = run(env, "keys", "list")
    assert result.exit_code == 0 and "me" in result.stdout and key not in result.stdout
    assert key not in run(env, "keys", "list", "--json").stdout


def test_keys_revoke_marks_the_key_revoked(env: dict[str, str]) -> None:
    created = json.loads(run(env, "keys", "create", "--name", "me", "--json").stdout)
    assert run(env, "keys", "revoke", created["id"]).exit_code == 0
    (listed,) = json.loads(run(env, "keys", "list", "--json").stdout)
    assert listed["revoked_at"] is not None


def test_a_bad_plan_is_one_line_not_a_traceback(env: dict[str, str]) -> None:
    result = run(env, "keys", "create", "--name", "me", "--plan", "gold")
    assert result.exit_code == 1
    assert result.stderr.strip() == "sfumato: plan must be one of starter, professional, enterprise, operator"


@pytest.mark.parametrize(
    ("option", "value"),
    [("--rpm", "100000000000000000000"), ("--rpm", "0"), ("--monthly-images", "2147483648")],
)
def test_counts_past_what_the_database_holds_are_refused_in_one_line(
    env: dict[str, str], option: str, value: str
) -> None:
    result = run(env, "keys", "create", "--name", "me", option, value)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and option in result.output
    assert json.loads(run(env, "keys", "list", "--json").stdout) == []


def test_a_key_name_that_cannot_be_stored_is_one_line(env: dict[str, str]) -> None:
    # A name in bytes that are not UTF-8 reaches Python as lone surrogates (surrogateescape).
    result = run(env, "keys", "create", "--name", "caf\udce9")
    assert result.exit_code == 1
    assert result.stderr.strip() == "sfumato: name is not valid Unicode (a lone UTF-16 surrogate)"


def test_revoking_an_unknown_key_says_so(env: dict[str, str]) -> None:
    result = run(env, "keys", "revoke", "key_nope")
    assert result.exit_code == 1 and result.stderr.strip() == "sfumato: no key 'key_nope'"


def test_db_upgrade_creates_the_database(env: dict[str, str]) -> None:
    result = run(env, "db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.stdout
    assert (Path(env["SFUMATO_DATA_DIR"]) / "sfumato.db").is_file()


def test_db_pool_query_prints_the_query_of_the_pools_scaler(env: dict[str, str]) -> None:
    result = run(env, "db", "pool-query", "tiny", "sdxl-lightning")
    assert result.exit_code == 0
    assert result.output == (
        "SELECT count(*) FROM jobs WHERE status IN ('queued', 'processing') "
        "AND model IN ('sdxl-lightning', 'tiny')\n"
    )


def test_db_upgrade_never_prints_the_database_password(env: dict[str, str], postgres: PostgresServer) -> None:
    # The tests' PostgreSQL trusts its clients: the password is carried, never checked, and must not be shown.
    url = postgres.create_database("cli_password").replace("postgres@", "postgres:hunter2@")
    result = run(env | {"SFUMATO_DATABASE_URL": url}, "db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.output
    assert "hunter2" not in result.output


def test_a_bad_setting_is_named(env: dict[str, str]) -> None:
    result = run(env | {"SFUMATO_RETENTION_DAYS": "soon"}, "db", "upgrade")
    assert result.exit_code == 1
    assert result.stderr.startswith("sfumato: invalid setting retention_days (SFUMATO_RETENTION_DAYS)")


def test_generate_writes_an_image_locally(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "apple.webp"
    args = ["generate", "an apple", "-o", str(out), "--seed", "3", "--width", "256", "--height", "384"]
    result = run(env, *args, "--steps", "2", "--style", "sketch", "--model", "tiny")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert (image.format, image.size) == ("WEBP", (256, 384))
    assert result.stdout.strip() == str(out)
    assert "seed 3, 256x384, 2 steps" in result.stderr


def test_generate_refuses_bad_parameters_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "generate", "x", "--width", "500", "--model", "tiny", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 1
    assert result.stderr.strip() == "sfumato: width must be a multiple of 64 between 256 and 2048"


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["generate", "a cat"]])
def test_sdxl_lightning_without_weights_is_one_clear_line(tmp_path: Path, command: list[str]) -> None:
    environment = os.environ | {
        "SFUMATO_DATA_DIR": str(tmp_path / "data"),
        "HF_HOME": str(tmp_path / "hf"),  # an empty cache: no weights here
        "HF_HUB_OFFLINE": "1",  # and no network, whatever this machine has
    }
    environment.pop("SFUMATO_MODEL", None)
    result = subprocess.run(
        [sys.executable, "-m", "sfumato", *command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("sfumato: model 'sdxl-lightning' cannot start: SDXL base")
    assert "--model tiny" in line and "SFUMATO_BASE_MODEL" in line and "network" in line


def test_an_unknown_model_is_one_clear_line(env: dict[str, str]) -> None:
    result = run(env, "serve", "--model", "dall-e", "--no-worker")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("sfumato: unknown model 'dall-e'; known models: sdxl-lightning")


def test_generate_says_what_it_could_not_do_as_asked(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "long.png"
    args = ["generate", "a lighthouse at dusk " * 5, "-o", str(out), "--negative-prompt", "fog"]
    result = run(env, *args, "--width", "256", "--height", "256", "--model", "tiny")
    assert result.exit_code == 0, result.output
    assert "warning: negative_prompt has no effect at guidance_scale 0" in result.stderr
    assert "warning: prompt is 85 tokens long; the text encoders read only the first 75" in result.stderr


def test_operators_set_plans_in_sfumato_plans(env: dict[str, str]) -> None:
    plans = (
        '{"gold": {"monthly_images": null, "requests_per_minute": 500, "reads_per_minute": 9000,'
        ' "max_images_per_request": 10}, "starter": {"monthly_images": 50}}'
    )
    result = run(env | {"SFUMATO_PLANS": plans}, "keys", "create", "--name", "me", "--plan", "gold", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["plan"] == "gold"
    bad = run(env | {"SFUMATO_PLANS": '{"gold": {"monthly_images": 5}}'}, "keys", "list")
    assert bad.exit_code == 1 and bad.stderr.startswith("sfumato: invalid setting plans.gold")


def test_an_unreadable_content_policy_stops_serve_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "policy.txt"
    result = run(env | {"SFUMATO_CONTENT_POLICY_FILE": str(missing)}, "serve", "--model", "tiny")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"sfumato: SFUMATO_CONTENT_POLICY_FILE: cannot read {missing}: No such file or directory"
    )
    pattern = run(env | {"SFUMATO_BLOCKED_TERMS": "re:("}, "serve", "--model", "tiny")
    assert pattern.exit_code == 1 and "invalid pattern 're:('" in pattern.stderr


@pytest.mark.parametrize(
    "command", [["serve", "--no-worker", "--model", "tiny"], ["worker", "--model", "tiny"]]
)
def test_a_bucket_that_does_not_exist_stops_the_start_in_one_line(
    env: dict[str, str], s3: S3Server, command: list[str]
) -> None:
    settings = {f"SFUMATO_{name.upper()}": value for name, value in s3.settings().items()}
    result = run(env | settings | {"SFUMATO_STORAGE_URL": "s3://no-such-bucket/images"}, *command)
    assert result.exit_code == 1
    assert result.output.startswith("sfumato: cannot use the storage s3://no-such-bucket/images: ")
    assert "Traceback" not in result.output


def test_an_unreachable_database_stops_the_start_without_showing_its_password(env: dict[str, str]) -> None:
    url = "postgresql://sfumato:hunter2@127.0.0.1:1/sfumato"
    result = run(env | {"SFUMATO_DATABASE_URL": url}, "worker", "--model", "tiny")
    assert result.exit_code == 1
    assert "cannot prepare the database postgresql://sfumato:***@127.0.0.1:1/sfumato" in result.output
    assert "hunter2" not in result.output


def test_generate_redraws_an_image_and_inpaints_with_a_mask(env: dict[str, str], tmp_path: Path) -> None:
    source, mask, out = tmp_path / "in.jpg", tmp_path / "mask.png", tmp_path / "out.png"
    source.write_bytes(encoded(noise(300, 250), "JPEG"))
    mask.write_bytes(square_mask(300, 250, (0, 0, 150, 125)))
    result = run(env, "generate", "at night", "--image", str(source), "-o", str(out), "--model", "tiny")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (320, 256)  # the input's size, rounded to multiples of 64
    args = ["generate", "", "--image", str(source), "--mask", str(mask), "--strength", "1", "-o", str(out)]
    assert run(env, *args, "--model", "tiny").exit_code == 1  # a prompt is still needed here
    inpainted = run(env, "generate", "a door", *args[2:], "--model", "tiny")
    assert inpainted.exit_code == 0, inpainted.output


def test_generate_refuses_what_is_not_an_image_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    svg = tmp_path / "drawing.svg"
    svg.write_bytes(SVG)
    result = run(env, "generate", "x", "--image", str(svg), "--model", "tiny", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 1
    assert result.stderr.strip() == "sfumato: --image is not a PNG, JPEG or WebP image"
    missing = run(env, "generate", "x", "--image", str(tmp_path / "none.png"), "--model", "tiny")
    assert missing.exit_code == 1 and missing.stderr.startswith("sfumato: cannot read")


def test_models_list_shows_the_catalogue_its_weights_and_which_licences_are_not_open(
    env: dict[str, str],
) -> None:
    result = run(env | {"SFUMATO_MODELS": "tiny,tiny-flux"}, "models", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert (listed["tiny"]["default"], listed["tiny-flux"]["served"], listed["tiny-sd3"]["served"]) == (
        True,
        True,
        False,
    )
    assert listed["sd3.5-large-turbo"]["open_license"] is False
    assert (listed["flux.1-schnell"]["family"], listed["tiny-sd3"]["weights"]) == ("flux", "built in code")
    text = run(env, "models", "list").stdout
    assert "Stability AI Community License (not an open licence)" in text
    assert "Apache-2.0 (not" not in text


def test_models_save_writes_a_folder_that_is_served_by_its_name(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "my-sd3"
    result = run(env, "models", "save", "tiny-sd3", str(folder))
    assert result.exit_code == 0, result.output
    assert (folder / "model_index.json").is_file() and (folder / "sfumato.json").is_file()
    listed = json.loads(run(env | {"SFUMATO_MODEL": str(folder)}, "models", "list", "--json").stdout)
    (served,) = [row for row in listed if row["served"]]
    assert (served["name"], served["family"], served["weights"], served["default"]) == (
        "my-sd3",
        "sd3",
        "present",
        True,
    )


def test_models_save_refuses_a_folder_in_use_and_an_unknown_model_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    refused = run(env, "models", "save", "tiny", str(tmp_path / "used"))
    assert (
        refused.exit_code == 1
        and refused.stderr.strip() == f"sfumato: {tmp_path / 'used'} is not an empty folder"
    )
    unknown = run(env, "models", "save", "dall-e-3", str(tmp_path / "new"))
    assert (
        unknown.exit_code == 1
        and "unknown model 'dall-e-3'" in unknown.stderr
        and "Traceback" not in unknown.output
    )


def test_a_catalogue_file_adds_models_and_a_wrong_one_is_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    catalogue = tmp_path / "models.toml"
    catalogue.write_text(
        '[models.my-flux]\nfamily = "flux"\nsource = "/srv/models/flux"\n'
        'license = "Apache-2.0"\nopen_license = true\n'
    )
    listed = json.loads(
        run(env | {"SFUMATO_CATALOGUE_FILE": str(catalogue)}, "models", "list", "--json").stdout
    )
    mine = next(row for row in listed if row["name"] == "my-flux")
    assert (mine["family"], mine["weights"], mine["guidance"]) == ("flux", "missing", "none")
    catalogue.write_text('[models.my-flux]\nfamily = "flux"\n')
    result = run(env | {"SFUMATO_CATALOGUE_FILE": str(catalogue)}, "models", "list")
    assert result.exit_code == 1
    assert result.stderr.strip() == "sfumato: SFUMATO_CATALOGUE_FILE: model 'my-flux', source: Field required"


def test_every_command_that_writes_says_which_database(env: dict[str, str]) -> None:
    database = f"sqlite:///{Path(env['SFUMATO_DATA_DIR']).resolve() / 'sfumato.db'}"
    created = run(env, "keys", "create", "--name", "me", "--json")
    assert f"database {database}" in created.stderr
    assert len(created.stdout.strip().splitlines()) == 1  # stdout stays the one line of JSON
    key_id = json.loads(created.stdout)["id"]
    assert f"database {database}" in run(env, "keys", "create", "--name", "you").stderr
    assert f"database {database}" in run(env, "keys", "revoke", key_id).stdout
    assert f"database {database}" in run(env, "db", "upgrade").stdout


def test_the_database_named_never_shows_its_password(env: dict[str, str], postgres: PostgresServer) -> None:
    url = postgres.create_database("cli_shown", template=TEMPLATE).replace("postgres@", "postgres:hunter2@")
    env = env | {"SFUMATO_DATABASE_URL": url}  # the tests' cluster trusts any password
    for args in (["db", "upgrade"], ["keys", "create", "--name", "me"], ["keys", "list"]):
        result = run(env, *args)
        assert result.exit_code == 0, result.output
        assert "postgres:***@127.0.0.1" in result.output and "hunter2" not in result.output
