"""The local certificate authority: when the operator gives no certificate, Sfumato makes its own on first
start, in `$SFUMATO_DATA_DIR/c2pa/`, clearly named as local.

    local-ca.pem        the CA's certificate: what a verifier trusts (`sfumato credentials show --ca-pem`)
    local-signer.pem    the signing certificate, then the CA's: the chain every manifest carries
    local-signer.key    the signing key, owner-only (0600), in an owner-only folder (0700)

The CA's own key signs the one signing certificate and is then thrown away: nothing can issue another
certificate under this CA. `cryptography` makes the keys (EC P-256, for ES256) and the certificates. The
signing certificate carries what C2PA asks of one: digitalSignature key usage and the emailProtection extended
key usage, not a CA, issued by a CA that is not itself.

A folder is made whole in a staging folder and renamed into place: two processes starting at once agree
on one pair, and a crash leaves none half-written.
"""

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FOLDER = "c2pa"
CA_FILE, CHAIN_FILE, KEY_FILE = "local-ca.pem", "local-signer.pem", "local-signer.key"
RETIRED = "c2pa-retired-"  # a replaced pair's folder: its CA still verifies what it signed; its key is gone
DEFAULT_ORGANIZATION = "Sfumato local (not publicly trusted)"
CA_YEARS, SIGNER_YEARS = 20, 10  # no timestamp authority: a manifest reads valid while its certificate is


@dataclass(frozen=True)
class LocalFiles:
    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / CA_FILE

    @property
    def chain(self) -> Path:
        return self.folder / CHAIN_FILE

    @property
    def key(self) -> Path:
        return self.folder / KEY_FILE

    def exists(self) -> bool:
        return self.chain.exists() or self.key.exists()


def local_files(data_dir: Path) -> LocalFiles:
    return LocalFiles(data_dir / FOLDER)


def retired_anchors(data_dir: Path) -> list[Path]:
    """The CA certificates of replaced local pairs, oldest first."""
    return sorted(data_dir.glob(f"{RETIRED}*/{CA_FILE}"))


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def make_pair(now: datetime, organization: str = DEFAULT_ORGANIZATION) -> tuple[bytes, bytes, bytes]:
    """A new CA and signing certificate: (CA PEM, chain PEM, signing key PEM)."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    start = now - timedelta(minutes=5)  # clocks of other machines that read it may lag
    ca_name = _name("Sfumato local CA", organization)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name("Sfumato local signer", organization))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + timedelta(days=365 * SIGNER_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem), signer.public_bytes(pem) + ca.public_bytes(pem), key_pem


def _write(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def make_local(
    data_dir: Path, now: datetime, *, organization: str = DEFAULT_ORGANIZATION, replace: bool = False
) -> LocalFiles:
    """The local pair in `data_dir`: made when there is none (another process's, made meanwhile, wins);
    with `replace`, a new pair in place of the old, whose folder is kept without its key."""
    files = local_files(data_dir)
    if files.exists() and not replace:
        return files
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=data_dir))  # 0700
    try:
        ca_pem, chain_pem, key_pem = make_pair(now, organization)
        _write(staging / CA_FILE, ca_pem, 0o644)
        _write(staging / CHAIN_FILE, chain_pem, 0o644)
        _write(staging / KEY_FILE, key_pem, 0o600)
        if replace and files.folder.exists():
            retired = data_dir / f"{RETIRED}{now:%Y%m%dT%H%M%S%f}"
            files.folder.rename(retired)
            (retired / KEY_FILE).unlink(missing_ok=True)
        try:
            staging.rename(files.folder)
        except OSError:  # another process made it first: theirs is the pair
            if not files.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return files
