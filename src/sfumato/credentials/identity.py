"""Who signs: a certificate chain and its private key, read and checked before anything is signed.

The checks that give an operator a clear line (the PEM parses, the key is the certificate's, the certificate
is in its validity period) are made here with `cryptography`; what C2PA itself asks of a certificate (key
usage, extended key usage, the chain) is left to c2pa, which is asked once at start (credentials.signer).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

_CURVES = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


class CredentialError(Exception):
    """The certificate or key cannot sign; the message says which and why, in one line, never the key."""


@dataclass(frozen=True)
class SigningIdentity:
    """A checked certificate chain (leaf first, PEM) and its private key (PEM, never shown)."""

    chain_pem: bytes
    key_pem: bytes = field(repr=False)
    algorithm: str  # c2pa's name: es256, es384, es512, ps256, ed25519
    subject: str
    issuer: str
    not_after: datetime
    fingerprint: str  # SHA-256 of the leaf certificate, hex
    local: bool  # made by Sfumato in the data directory (credentials.authority)
    anchors_pem: bytes  # the CA certificates of the chain: what verifiers should trust

    def describe(self) -> str:
        origin = "a local CA (not publicly trusted)" if self.local else "the operator's certificate"
        return f"{self.subject}, issued by {self.issuer}: {origin}, {self.algorithm.upper()}"


def pem_of(text: str | bytes, *, setting: str) -> bytes:
    """A setting's PEM: given inline (`-----BEGIN …`) or as the path of a file."""
    raw = text.encode() if isinstance(text, str) else text
    if raw.lstrip().startswith(b"-----BEGIN"):
        return raw
    path = raw.decode(errors="replace").strip()
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise CredentialError(f"{setting}: cannot read {path}: {error.strerror}") from None


def certificates_of(text: str, *, setting: str) -> bytes:
    """A setting's bundle of CA certificates (inline or a file's path), checked to be PEM certificates."""
    bundle = pem_of(text, setting=setting)
    try:
        x509.load_pem_x509_certificates(bundle)
    except ValueError:
        raise CredentialError(f"{setting}: not a PEM bundle of certificates") from None
    return bundle


def name_of(name: x509.Name) -> str:
    """A distinguished name as people read it: its common name, else its organization, else all of it."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        values = name.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return name.rfc4514_string()


def _algorithm(key: object, setting: str) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        return _CURVES[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise CredentialError(
        f"{setting}: C2PA signs with EC P-256, P-384 or P-521, RSA of 2048 bits or more, or Ed25519 keys"
    )


def load_identity(cert: bytes, key: bytes, now: datetime, *, local: bool = False) -> SigningIdentity:
    """The chain and key, checked: CredentialError says what is wrong, in one line."""
    cert_setting, key_setting = (
        ("the local certificate", "the local key") if local else ("SFUMATO_C2PA_CERT", "SFUMATO_C2PA_KEY")
    )
    try:
        chain = x509.load_pem_x509_certificates(cert)
    except ValueError:
        raise CredentialError(f"{cert_setting}: not a PEM certificate chain") from None
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except TypeError:
        raise CredentialError(f"{key_setting}: the key is encrypted; give it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        raise CredentialError(f"{key_setting}: not a PEM private key") from None
    leaf = chain[0]
    der, public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(der, public) != leaf.public_key().public_bytes(der, public):
        raise CredentialError(f"{key_setting} is not the key of the first certificate of {cert_setting}")
    algorithm = _algorithm(private, key_setting)
    for certificate in chain:
        if certificate.not_valid_after_utc <= now:
            raise CredentialError(
                f"{cert_setting}: {name_of(certificate.subject)} expired on "
                f"{certificate.not_valid_after_utc:%Y-%m-%d}"
            )
        if certificate.not_valid_before_utc > now:
            raise CredentialError(
                f"{cert_setting}: {name_of(certificate.subject)} is not valid before "
                f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
            )
    if leaf.issuer == leaf.subject:
        raise CredentialError(f"{cert_setting}: C2PA does not sign with a self-signed certificate")
    if len(chain) < 2:
        raise CredentialError(
            f"{cert_setting}: give the signing certificate followed by the certificate of the CA that "
            "issued it"
        )
    pem = serialization.Encoding.PEM
    return SigningIdentity(
        chain_pem=b"".join(certificate.public_bytes(pem) for certificate in chain),
        key_pem=key,
        algorithm=algorithm,
        subject=name_of(leaf.subject),
        issuer=name_of(leaf.issuer),
        not_after=leaf.not_valid_after_utc,
        fingerprint=hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest(),
        local=local,
        anchors_pem=b"".join(certificate.public_bytes(pem) for certificate in chain[1:]),
    )
