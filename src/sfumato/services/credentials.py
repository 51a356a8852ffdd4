"""Content credentials of a process (docs/credentials.md): who signs, the manifests of what this process
makes, and reading what it is given. Built once at start (`credentials_of`); the worker's encoders, the
transforms and the verify route share it.

Who signs: SFUMATO_C2PA_CERT and SFUMATO_C2PA_KEY, or else the local pair in `$SFUMATO_DATA_DIR/c2pa`, made
on the first start that needs it (credentials.authority). What verification trusts: the CA certificates of
the signing chain, those of local pairs replaced by `sfumato credentials init --force`, and
SFUMATO_C2PA_TRUST_ANCHORS.
"""

import logging
from datetime import datetime
from typing import Any

from sfumato.config import Settings
from sfumato.credentials.identity import (
    CredentialError,
    SigningIdentity,
    certificates_of,
    load_identity,
    pem_of,
)
from sfumato.credentials.local import local_files, read_local, retired_anchors
from sfumato.credentials.manifest import Change, Making, generated, transformed
from sfumato.credentials.reader import Reader, Unreadable
from sfumato.credentials.signer import Signer
from sfumato.domain.clock import Clock
from sfumato.domain.credentials import Verdict
from sfumato.domain.errors import InvalidParameter, PayloadTooLarge, SigningFailed
from sfumato.domain.params import JobParams
from sfumato.imaging.formats import format_of

log = logging.getLogger(__name__)


def identity_of(settings: Settings, now: datetime, *, make: bool = True) -> SigningIdentity | None:
    """The operator's certificate and key, or the local pair (made first when `make` and there is none;
    else None). CredentialError when they cannot sign."""
    if settings.c2pa_cert.strip():
        cert = pem_of(settings.c2pa_cert, setting="SFUMATO_C2PA_CERT")
        key = pem_of(settings.c2pa_key.get_secret_value(), setting="SFUMATO_C2PA_KEY")
        return load_identity(cert, key, now)
    folder = local_files(settings.data_dir).folder
    try:
        pair = read_local(settings.data_dir, now, make=make)
    except OSError as error:
        raise CredentialError(f"cannot use the local pair in {folder}: {error.strerror}") from None
    if pair is None:
        return None
    return load_identity(*pair, now, local=True)


def anchors_of(settings: Settings, identity: SigningIdentity | None) -> bytes:
    """The CA certificates verification trusts: this service's own, then the operator's others."""
    anchors = identity.anchors_pem if identity is not None else b""
    for retired in retired_anchors(settings.data_dir):
        anchors += retired.read_bytes()
    if settings.c2pa_trust_anchors.strip():
        anchors += certificates_of(settings.c2pa_trust_anchors, setting="SFUMATO_C2PA_TRUST_ANCHORS")
    return anchors


class ContentCredentials:
    def __init__(
        self,
        signer: Signer | None,
        reader: Reader,
        *,
        include_prompt: bool = False,
        max_bytes: int = 20_000_000,
    ) -> None:
        self.signer = signer  # None: content credentials are off
        self.reader = reader
        self.include_prompt = include_prompt
        self.max_bytes = max_bytes

    @property
    def enabled(self) -> bool:
        return self.signer is not None

    @property
    def state(self) -> str:
        """What /readyz and the service page say: `on`, `on (local CA)` or `off`."""
        if self.signer is None:
            return "off"
        return "on (local CA)" if self.signer.identity.local else "on"

    def sign_generated(
        self, data: bytes, fmt: str, *, title: str, params: JobParams, when: datetime, archive: bytes | None
    ) -> bytes:
        """A generated image's file with its manifest; `archive`: its input, as ingredient_archive made it."""
        if self.signer is None:
            return data
        making = Making(
            model=params.model,
            when=when,
            prompt=params.prompt if self.include_prompt else None,
            negative_prompt=params.negative_prompt if self.include_prompt else None,
            mode=params.mode,
        )
        definition = generated(title, fmt, making, from_parent=archive is not None)
        return self._sign(data, fmt, definition, archive=archive)

    def sign_transformed(
        self, data: bytes, fmt: str, *, title: str, change: Change, source: tuple[bytes, str, str]
    ) -> bytes:
        """A transform's file with its manifest, naming `source` (bytes, format, image id) as its parent."""
        if self.signer is None:
            return data
        return self._sign(data, fmt, transformed(title, fmt, change), parent=source)

    def _sign(
        self,
        data: bytes,
        fmt: str,
        definition: dict[str, Any],
        *,
        parent: tuple[bytes, str, str] | None = None,
        archive: bytes | None = None,
    ) -> bytes:
        assert self.signer is not None
        try:
            return self.signer.sign(data, fmt, definition, parent=parent, archive=archive)
        except Exception:
            log.exception("content credentials: could not sign %s", definition.get("title"))
            raise SigningFailed("the image could not be signed") from None

    def ingredient(self, data: bytes, title: str) -> bytes | None:
        """An input image as its output's parent ingredient (None when off, or not png, jpeg or webp)."""
        fmt = format_of(data)
        if self.signer is None or fmt is None:
            return None
        try:
            return self.signer.ingredient_archive(data, fmt, title)
        except Exception as error:  # c2pa cannot parse what Pillow could: the images are made, without it
            log.warning("content credentials: %s cannot be an ingredient: %s", title, error)
            return None

    def verify(self, data: bytes, *, field: str = "file") -> Verdict:
        """What `data` carries; InvalidParameter when it is not a png, jpeg or webp file."""
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(f"{field} is larger than {self.max_bytes} bytes", param=field)
        fmt = format_of(data)
        if fmt is None:
            raise InvalidParameter(f"{field} is not a PNG, JPEG or WebP image", param=field)
        try:
            return self.reader.read(data, fmt)
        except Unreadable:
            raise InvalidParameter(f"{field} is truncated or corrupt", param=field) from None


def credentials_of(settings: Settings, clock: Clock) -> ContentCredentials:
    """This process's content credentials, checked by c2pa itself; CredentialError says why not."""
    if not settings.content_credentials:
        return verifier_of(settings, clock)
    identity = identity_of(settings, clock.now())
    assert identity is not None
    signer = Signer(identity, thumbnail=settings.c2pa_thumbnail)
    signer.check()
    return ContentCredentials(
        signer,
        Reader(anchors_of(settings, identity)),
        include_prompt=settings.c2pa_include_prompt,
        max_bytes=settings.max_input_bytes,
    )


def verifier_of(settings: Settings, clock: Clock) -> ContentCredentials:
    """Reading only (content credentials off, `sfumato credentials verify`): nothing signs and no pair is
    made; what would sign is still trusted, where it can be read."""
    try:
        identity = identity_of(settings, clock.now(), make=False)
    except CredentialError:
        identity = None
    reader = Reader(anchors_of(settings, identity))
    return ContentCredentials(None, reader, max_bytes=settings.max_input_bytes)
