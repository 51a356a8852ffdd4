"""Content credentials of a process, from the settings: who signs, what a start refuses, what is recorded."""

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfumato.config import Settings
from sfumato.domain.params import JobParams
from sfumato.services.credentials import ContentCredentials, credentials_of
from sfumato.services.startup import StartupError, checked_credentials
from tests.certificates import issue
from tests.conftest import ManualClock, make_settings
from tests.manifests import read_back
from tests.pictures import png

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def params(**changes: object) -> JobParams:
    values: dict[str, object] = {
        "prompt": "a secret harbour at dawn",
        "negative_prompt": "fog",
        "seed": 7,
        "width": 256,
        "height": 256,
        "steps": 2,
        "guidance_scale": 0.0,
        "style": None,
        "n": 1,
        "model": "tiny",
        "format": "png",
        "quality": 90,
        "name": "harbour",
    }
    return JobParams(**(values | changes))  # type: ignore[arg-type]


def sign(credentials: ContentCredentials, data: bytes | None = None) -> bytes:
    return credentials.sign_generated(
        data or png(64, 64), "png", title="image_x", params=params(), when=WHEN, archive=None
    )


def refusal(settings: Settings) -> str:
    with pytest.raises(StartupError) as raised:
        checked_credentials(settings)
    message = str(raised.value)
    assert "\n" not in message and "PRIVATE KEY" not in message
    return message


def test_a_first_start_makes_a_local_pair_and_signs_with_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    credentials = credentials_of(settings, ManualClock())
    assert credentials.state == "on (local CA)"
    key = tmp_path / "c2pa" / "local-signer.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ca = (tmp_path / "c2pa" / "local-ca.pem").read_bytes()
    assert read_back(sign(credentials), ca).state == "Trusted"


def test_the_operators_certificate_signs_given_as_files_or_as_pem(tmp_path: Path) -> None:
    issued = issue()
    cert, key = issued.write(tmp_path / "secrets")
    for given in (
        {"c2pa_cert": str(cert), "c2pa_key": str(key)},
        {
            "c2pa_cert": issued.chain_pem.decode(),
            "c2pa_key": issued.key_pem.decode(),
        },
    ):
        credentials = credentials_of(make_settings(tmp_path / "data", **given), ManualClock())
        assert credentials.state == "on"
        found = read_back(sign(credentials), issued.ca_pem)
        assert found.state == "Trusted"
        assert found.manifest["signature_info"]["common_name"] == "Example Operator signer"
    assert not (tmp_path / "data" / "c2pa").exists()  # no local pair made beside the operator's


def test_a_broken_certificate_refuses_the_start_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    settings = make_settings(tmp_path, c2pa_cert=str(broken), c2pa_key=issue().key_pem.decode())
    assert refusal(settings) == "content credentials: SFUMATO_C2PA_CERT: not a PEM certificate chain"


def test_an_expired_certificate_refuses_the_start_saying_when(tmp_path: Path) -> None:
    expired = issue(not_after=datetime.now(UTC) - timedelta(days=1))
    cert, key = expired.write(tmp_path)
    message = refusal(make_settings(tmp_path, c2pa_cert=str(cert), c2pa_key=str(key)))
    assert message.startswith("content credentials: SFUMATO_C2PA_CERT: Example Operator signer expired on ")


def test_a_certificate_c2pa_will_not_sign_with_refuses_the_start(tmp_path: Path) -> None:
    cert, key = issue(digital_signature=False).write(tmp_path)
    message = refusal(make_settings(tmp_path, c2pa_cert=str(cert), c2pa_key=str(key)))
    assert message.startswith("content credentials: c2pa refuses Example Operator signer")


def test_a_local_pair_that_cannot_be_made_refuses_the_start_in_one_line(tmp_path: Path) -> None:
    tmp_path.joinpath("c2pa").write_text("a file where the folder goes")
    assert refusal(make_settings(tmp_path)) == (
        f"content credentials: cannot use the local pair in {tmp_path / 'c2pa'}: File exists"
    )


def test_trust_anchors_that_are_not_certificates_refuse_the_start(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, c2pa_trust_anchors="-----BEGIN CERTIFICATE-----\nno\n-----END CERTIFICATE-----"
    )
    assert (
        refusal(settings)
        == "content credentials: SFUMATO_C2PA_TRUST_ANCHORS: not a PEM bundle of certificates"
    )


def test_off_signs_nothing_and_makes_no_pair(tmp_path: Path) -> None:
    credentials = credentials_of(make_settings(tmp_path, content_credentials=False), ManualClock())
    assert (credentials.state, credentials.enabled) == ("off", False)
    data = png(64, 64)
    assert sign(credentials, data) == data
    assert not (tmp_path / "c2pa").exists()


def test_the_prompt_is_recorded_only_where_the_operator_includes_it(tmp_path: Path) -> None:
    private = credentials_of(make_settings(tmp_path), ManualClock())
    (action,) = read_back(sign(private)).actions()
    assert action["parameters"] == {"model": "tiny"}
    included = credentials_of(make_settings(tmp_path, c2pa_include_prompt=True), ManualClock())
    (action,) = read_back(sign(included)).actions()
    assert action["parameters"] == {
        "model": "tiny",
        "prompt": "a secret harbour at dawn",
        "negative_prompt": "fog",
    }


def test_more_trust_anchors_make_another_operators_images_trusted(tmp_path: Path) -> None:
    other = issue()
    cert, key = other.write(tmp_path / "other")
    theirs = sign(
        credentials_of(
            make_settings(tmp_path / "theirs", c2pa_cert=str(cert), c2pa_key=str(key)), ManualClock()
        )
    )
    ours = credentials_of(make_settings(tmp_path / "ours"), ManualClock())
    assert ours.verify(theirs).trusted is False
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(other.ca_pem)
    trusting = credentials_of(
        make_settings(tmp_path / "ours", c2pa_trust_anchors=str(anchors)), ManualClock()
    )
    assert trusting.verify(theirs).trusted is True
