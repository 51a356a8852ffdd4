"""The service's reading of content credentials: c2pa's verdict, summarized (domain.credentials.Verdict)."""

from datetime import UTC, datetime

import pytest

from sfumato.credentials.identity import SigningIdentity, load_identity
from sfumato.credentials.local import make_local
from sfumato.credentials.manifest import Change, Making, generated, transformed
from sfumato.credentials.reader import Reader, Unreadable
from sfumato.credentials.signer import Signer
from tests.manifests import stripped, tampered
from tests.pictures import encoded, noise

NOW = datetime.now(UTC)
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    files = make_local(tmp_path_factory.mktemp("credentials"), NOW)
    return load_identity(files.chain.read_bytes(), files.key.read_bytes(), NOW, local=True)


@pytest.fixture(scope="module")
def signed(identity: SigningIdentity) -> bytes:
    definition = generated("image_a", "jpeg", Making(model="tiny", when=WHEN), from_parent=False)
    return Signer(identity).sign(encoded(noise(64, 64), "JPEG"), "jpeg", definition)


def test_a_signed_image_is_present_valid_trusted_and_names_signer_and_model(
    identity: SigningIdentity, signed: bytes
) -> None:
    verdict = Reader(identity.anchors_pem).read(signed, "jpeg")
    assert (verdict.present, verdict.valid, verdict.trusted, verdict.failures) == (True, True, True, [])
    assert verdict.signer is not None and verdict.signer.name == "Sfumato local signer"
    assert verdict.signer.issuer is not None and "local" in verdict.signer.issuer
    assert verdict.model == "tiny"
    (action,) = verdict.actions
    assert action.action == "c2pa.created" and action.software_agent == "Sfumato 0.1.0"
    assert action.digital_source_type is not None and action.digital_source_type.endswith(
        "trainedAlgorithmicMedia"
    )


def test_without_the_ca_it_is_valid_and_untrusted(signed: bytes) -> None:
    verdict = Reader(b"").read(signed, "jpeg")
    assert (verdict.valid, verdict.trusted, verdict.failures) == (
        True,
        False,
        ["signingCredential.untrusted"],
    )


def test_tampered_is_invalid_and_stripped_is_absent(identity: SigningIdentity, signed: bytes) -> None:
    reader = Reader(identity.anchors_pem)
    verdict = reader.read(tampered(signed), "jpeg")
    assert (verdict.present, verdict.valid, verdict.trusted) == (True, False, False)
    assert "assertion.dataHash.mismatch" in verdict.failures
    assert reader.read(stripped(signed), "jpeg").present is False


def test_a_transform_names_its_parent_and_the_model_that_made_it(
    identity: SigningIdentity, signed: bytes
) -> None:
    change = Change(when=WHEN, converted=True, resized=False)
    child = Signer(identity).sign(
        encoded(noise(64, 64), "PNG"),
        "png",
        transformed("image_b", "png", change),
        parent=(signed, "jpeg", "image_a"),
    )
    verdict = Reader(identity.anchors_pem).read(child, "png")
    assert verdict.trusted and verdict.model == "tiny"  # the parent's: a conversion made nothing new
    assert [action.action for action in verdict.actions] == ["c2pa.opened", "c2pa.converted"]
    (parent,) = verdict.ingredients
    assert (parent.title, parent.relationship, parent.has_credentials, parent.model) == (
        "image_a",
        "parentOf",
        True,
        "tiny",
    )


def test_a_truncated_file_is_unreadable(identity: SigningIdentity, signed: bytes) -> None:
    with pytest.raises(Unreadable):
        Reader(identity.anchors_pem).read(signed[:200], "jpeg")
