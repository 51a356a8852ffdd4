"""The operator's certificate and key, checked before anything is signed: each fault is one line that says
which setting and why, and never holds the key."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sfumato.credentials.identity import CredentialError, load_identity, pem_of
from tests.certificates import issue

NOW = datetime.now(UTC)


def refusal(cert: bytes, key: bytes) -> str:
    with pytest.raises(CredentialError) as raised:
        load_identity(cert, key, NOW)
    message = str(raised.value)
    assert "\n" not in message and "PRIVATE KEY" not in message
    return message


def test_a_good_chain_and_key_are_read() -> None:
    issued = issue()
    identity = load_identity(issued.chain_pem, issued.key_pem, NOW)
    assert identity.subject == "Example Operator signer" and identity.issuer == "Example Operator Root CA"
    assert identity.anchors_pem == issued.ca_pem and not identity.local
    assert "PRIVATE" not in repr(identity)


def test_a_broken_certificate_is_refused() -> None:
    assert refusal(b"-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n", issue().key_pem) == (
        "SFUMATO_C2PA_CERT: not a PEM certificate chain"
    )


def test_a_broken_key_is_refused() -> None:
    assert refusal(issue().chain_pem, b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") == (
        "SFUMATO_C2PA_KEY: not a PEM private key"
    )


def test_an_expired_certificate_is_refused_with_its_date() -> None:
    issued = issue(not_after=NOW - timedelta(days=2))
    message = refusal(issued.chain_pem, issued.key_pem)
    assert message.startswith("SFUMATO_C2PA_CERT: Example Operator signer expired on ")
    assert (NOW - timedelta(days=2)).strftime("%Y-%m-%d") in message


def test_another_certificates_key_is_refused() -> None:
    assert refusal(issue().chain_pem, issue().key_pem) == (
        "SFUMATO_C2PA_KEY is not the key of the first certificate of SFUMATO_C2PA_CERT"
    )


def test_an_encrypted_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    assert refusal(issue().chain_pem, key) == "SFUMATO_C2PA_KEY: the key is encrypted; give it unencrypted"


def test_a_signing_certificate_without_its_ca_is_refused() -> None:
    issued = issue()
    leaf_only = issued.chain_pem[: issued.chain_pem.index(b"-----END CERTIFICATE-----") + 26]
    assert refusal(leaf_only, issued.key_pem) == (
        "SFUMATO_C2PA_CERT: give the signing certificate followed by the certificate of the CA that issued it"
    )


def test_a_setting_is_the_pem_itself_or_a_files_path(tmp_path: Path) -> None:
    issued = issue()
    (tmp_path / "chain.pem").write_bytes(issued.chain_pem)
    assert pem_of(str(tmp_path / "chain.pem"), setting="X") == issued.chain_pem
    assert pem_of(issued.chain_pem.decode(), setting="X") == issued.chain_pem
    with pytest.raises(CredentialError, match=r"^X: cannot read .*missing\.pem: No such file"):
        pem_of(str(tmp_path / "missing.pem"), setting="X")
