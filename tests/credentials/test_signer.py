"""Signing with c2pa: what a manifest says, read back with c2pa-python itself (tests/manifests.py)."""

from datetime import UTC, datetime

import pytest

from sfumato import __version__
from sfumato.credentials.identity import CredentialError, SigningIdentity, load_identity
from sfumato.credentials.local import make_local
from sfumato.credentials.manifest import Change, Making, generated, transformed
from sfumato.credentials.signer import Signer
from tests.certificates import issue
from tests.manifests import TRAINED, read_back, stripped, tampered
from tests.pictures import encoded, noise, pixels

NOW = datetime.now(UTC)
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    files = make_local(tmp_path_factory.mktemp("credentials"), NOW)
    return load_identity(files.chain.read_bytes(), files.key.read_bytes(), NOW, local=True)


@pytest.fixture(scope="module")
def signer(identity: SigningIdentity) -> Signer:
    return Signer(identity)


def made(fmt: str, size: int = 256, seed: int = 0) -> bytes:
    return encoded(noise(size, size, seed), fmt.upper(), **({} if fmt == "png" else {"quality": 90}))


def created(signer: Signer, fmt: str, data: bytes, model: str = "tiny") -> bytes:
    return signer.sign(
        data, fmt, generated("image_a", fmt, Making(model=model, when=WHEN), from_parent=False)
    )


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_a_generated_image_reads_back_trusted_under_its_ca_naming_the_model(
    signer: Signer, identity: SigningIdentity, fmt: str
) -> None:
    data = made(fmt)
    signed = created(signer, fmt, data)
    assert pixels(signed) == pixels(data)
    found = read_back(signed, identity.anchors_pem)
    assert (found.state, found.failures) == ("Trusted", [])
    action = found.action("c2pa.created")
    assert action["digitalSourceType"] == TRAINED
    assert action["softwareAgent"] == {"name": "Sfumato", "version": __version__}
    assert action["parameters"] == {"model": "tiny"} and action["when"] == "2026-03-01T12:00:00Z"
    assert found.manifest["signature_info"]["common_name"] == "Sfumato local signer"
    assert found.manifest["title"] == "image_a"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_without_its_ca_the_signature_is_valid_but_not_trusted(signer: Signer, fmt: str) -> None:
    found = read_back(created(signer, fmt, made(fmt)))
    assert (found.state, found.failures) == ("Valid", ["signingCredential.untrusted"])


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_a_changed_pixel_byte_reads_invalid_and_a_resave_reads_absent(
    signer: Signer, identity: SigningIdentity, fmt: str
) -> None:
    signed = created(signer, fmt, made(fmt))
    found = read_back(tampered(signed), identity.anchors_pem)
    assert found.state == "Invalid" and "assertion.dataHash.mismatch" in found.failures
    assert read_back(stripped(signed), identity.anchors_pem).state is None


def test_a_transform_names_its_source_as_parent_and_the_chain_reads_back(
    signer: Signer, identity: SigningIdentity
) -> None:
    source = created(signer, "png", made("png"), model="sdxl-lightning")
    converted = made("webp", 128)
    definition = transformed("image_b", "webp", Change(when=WHEN, converted=True, resized=True))
    signed = signer.sign(converted, "webp", definition, parent=(source, "png", "image_a"))
    found = read_back(signed, identity.anchors_pem)
    assert (found.state, found.failures) == ("Trusted", [])
    (parent,) = found.parents()
    assert parent["title"] == "image_a" and parent["format"] == "image/png"
    assert [action["action"] for action in found.actions()] == [
        "c2pa.opened",
        "c2pa.converted",
        "c2pa.resized",
    ]
    chained = found.manifests[parent["active_manifest"]]  # the source's own manifest, carried along
    (action,) = [a for a in chained["assertions"] if a["label"] == "c2pa.actions.v2"]
    assert action["data"]["actions"][0]["parameters"]["model"] == "sdxl-lightning"


def test_an_input_archived_where_it_arrived_is_the_parent_of_what_is_made_elsewhere(
    signer: Signer, identity: SigningIdentity
) -> None:
    source = created(signer, "jpeg", made("jpeg"))
    archive = signer.ingredient_archive(source, "jpeg", "image_a")
    assert len(archive) < len(source)  # its manifest and its hash; not its pixels
    making = Making(model="tiny", when=WHEN, mode="inpaint")
    signed = signer.sign(
        made("png"), "png", generated("image_c", "png", making, from_parent=True), archive=archive
    )
    found = read_back(signed, identity.anchors_pem)
    assert (found.state, found.failures) == ("Trusted", [])
    assert [parent["title"] for parent in found.parents()] == ["image_a"]
    edited = found.action("c2pa.edited")
    assert edited["digitalSourceType"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert edited["parameters"]["model"] == "tiny"


def test_a_1024_manifest_without_thumbnail_weighs_under_10_kb(signer: Signer) -> None:
    data = made("png", 1024)
    assert len(created(signer, "png", data)) - len(data) < 10_000


def test_c2pa_refuses_a_certificate_without_digital_signature_at_the_check() -> None:
    issued = issue(digital_signature=False)
    unfit = Signer(load_identity(issued.chain_pem, issued.key_pem, NOW))
    with pytest.raises(CredentialError, match=r"^c2pa refuses Example Operator signer"):
        unfit.check()
