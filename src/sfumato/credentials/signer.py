"""Signing: c2pa's Builder embeds a manifest in an image file's bytes, signed with the identity's key.

One `Signer` a process, built at start; its c2pa Context (settings and signer) is shared by the encoder
threads, and c2pa's native calls let go of the GIL, so several images sign at once. No thumbnail is embedded
unless the operator asks (SFUMATO_C2PA_THUMBNAIL): a 1024x1024 thumbnail adds about a megabyte.
"""

import io
from datetime import UTC, datetime
from typing import Any

import c2pa
from PIL import Image

from sfumato import __version__
from sfumato.credentials.identity import CredentialError, SigningIdentity
from sfumato.credentials.manifest import MIME_TYPES, SOFTWARE, Making, generated, ingredient

_OFFLINE = {"remote_manifest_fetch": False, "ocsp_fetch": False}


def _settings(*, thumbnail: bool, anchors: bytes) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "builder": {
            "thumbnail": {"enabled": thumbnail},
            "claim_generator_info": {"name": SOFTWARE, "version": __version__},
        },
        "verify": dict(_OFFLINE),
    }
    if anchors:
        settings["trust"] = {"user_anchors": anchors.decode()}
    return settings


class Signer:
    def __init__(self, identity: SigningIdentity, *, thumbnail: bool = False) -> None:
        self.identity = identity
        info = c2pa.C2paSignerInfo(identity.algorithm.encode(), identity.chain_pem, identity.key_pem, None)
        settings = _settings(thumbnail=thumbnail, anchors=identity.anchors_pem)
        signer = c2pa.Signer.from_info(info)
        self._context = c2pa.Context(settings=c2pa.Settings.from_dict(settings), signer=signer)
        # Ingredients are read apart from signing, so a worker elsewhere can use them (ingredient_archive).
        plain = {"builder": {"thumbnail": {"enabled": False}}, "verify": _OFFLINE}
        self._plain = c2pa.Context.from_dict(plain)

    def check(self) -> None:
        """Sign a small picture and have c2pa check the result (its verify_after_sign): a certificate c2pa
        will not sign with (key usage, extended key usage, chain) stops the start here, not at an image."""
        try:
            probe = io.BytesIO()
            Image.new("RGB", (8, 8)).save(probe, "PNG")
            made = Making(model="probe", when=datetime.now(UTC))
            self.sign(probe.getvalue(), "png", generated("probe", "png", made, from_parent=False))
        except c2pa.C2paError as error:
            raise CredentialError(f"c2pa refuses {self.identity.describe()}: {error}") from None

    def sign(
        self,
        data: bytes,
        fmt: str,
        definition: dict[str, Any],
        *,
        parent: tuple[bytes, str, str] | None = None,
        archive: bytes | None = None,
    ) -> bytes:
        """`data` with the manifest of `definition` embedded and signed. Its parent, if any: the parent
        image's (bytes, format, title), or an ingredient archive of it (ingredient_archive)."""
        builder = c2pa.Builder(definition, context=self._context)
        try:
            if parent is not None or archive is not None:
                builder.set_intent(c2pa.C2paBuilderIntent.EDIT)  # c2pa adds c2pa.opened of the parent
                if parent is not None:
                    source, source_format, title = parent
                    builder.add_ingredient(ingredient(title), MIME_TYPES[source_format], io.BytesIO(source))
                elif archive is not None:
                    builder.add_ingredient_from_archive(io.BytesIO(archive))
            signed = io.BytesIO()
            builder.sign(MIME_TYPES[fmt], io.BytesIO(data), signed)
            return signed.getvalue()
        finally:
            builder.close()

    def ingredient_archive(self, data: bytes, fmt: str, title: str) -> bytes:
        """An image as another's parent ingredient, in c2pa's archive form: its own manifest (if it has
        one) and its hash, without the image. Made where the input arrives, read where the image is made."""
        builder = c2pa.Builder({"title": title}, context=self._plain)
        try:
            builder.add_ingredient(ingredient(title), MIME_TYPES[fmt], io.BytesIO(data))
            archive = io.BytesIO()
            builder.write_ingredient_archive("parent", archive)
            return archive.getvalue()
        finally:
            builder.close()
