"""The local CA: made once in the data directory, named as local, its key owner-only; what C2PA asks of a
signing certificate, as c2pa-python's own docs say (a leaf with digitalSignature and emailProtection)."""

import stat
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from sfumato.credentials.authority import local_files, make_local, retired_anchors
from sfumato.credentials.identity import load_identity
from tests.conftest import all_at_once

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_local_pair_is_made_once_with_an_owner_only_key(tmp_path: Path) -> None:
    files = make_local(tmp_path, NOW)
    chain = files.chain.read_bytes()
    assert mode(files.key) == 0o600 and mode(files.folder) == 0o700
    assert make_local(tmp_path, NOW).chain.read_bytes() == chain  # the second start reads the first's
    assert files.folder == tmp_path / "c2pa"
    assert sorted(path.name for path in files.folder.iterdir()) == [
        "local-ca.pem",
        "local-signer.key",
        "local-signer.pem",
    ]


def test_the_signing_certificate_is_what_c2pa_asks_for_and_says_it_is_local(tmp_path: Path) -> None:
    files = make_local(tmp_path, NOW)
    leaf, ca = x509.load_pem_x509_certificates(files.chain.read_bytes())
    assert x509.load_pem_x509_certificate(files.ca.read_bytes()) == ca
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in extended
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == ca.subject != leaf.subject
    identity = load_identity(files.chain.read_bytes(), files.key.read_bytes(), NOW, local=True)
    assert "local" in identity.issuer and "local" in identity.subject
    assert identity.algorithm == "es256" and identity.anchors_pem == files.ca.read_bytes()
    assert identity.not_after.year == 2036  # ten years: no timestamp authority extends a signature's life


def test_the_cas_own_key_is_not_kept(tmp_path: Path) -> None:
    files = make_local(tmp_path, NOW)
    keys = [path for path in tmp_path.rglob("*") if path.is_file() and b"PRIVATE KEY" in path.read_bytes()]
    assert keys == [files.key]


def test_processes_starting_at_once_agree_on_one_pair(tmp_path: Path) -> None:
    made, errors = all_at_once(6, lambda: make_local(tmp_path, NOW).chain.read_bytes())
    assert errors == [] and len(set(made)) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["c2pa"]  # no staging folder left behind


def test_a_new_pair_retires_the_old_one_keeping_its_ca_without_its_key(tmp_path: Path) -> None:
    old = make_local(tmp_path, NOW).ca.read_bytes()
    new = make_local(tmp_path, NOW, replace=True)
    assert new.ca.read_bytes() != old
    (retired,) = retired_anchors(tmp_path)
    assert retired.read_bytes() == old
    assert not (retired.parent / "local-signer.key").exists()
    assert local_files(tmp_path).exists()
