"""The settings of content credentials (docs/credentials.md)."""

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CredentialSettings(BaseSettings):
    # Errors never repeat what was given: SFUMATO_C2PA_KEY may be the key itself.
    model_config = SettingsConfigDict(env_prefix="SFUMATO_", extra="ignore", hide_input_in_errors=True)

    # Content credentials (docs/credentials.md).
    content_credentials: bool = Field(
        True,
        description="every image made or transformed carries a signed C2PA manifest; `off`: none does, and "
        "`/readyz` and the service page say so",
        json_schema_extra={"shown": "`on`"},
    )
    c2pa_cert: str = Field(
        "",
        description="the certificate chain that signs the manifests, PEM (the signing certificate, then the "
        "CAs that issued it): a file's path, or the PEM itself. Neither this nor `SFUMATO_C2PA_KEY` set: a "
        "local CA and certificate are made on first start in `$SFUMATO_DATA_DIR/c2pa`",
    )
    c2pa_key: SecretStr = Field(
        SecretStr(""),
        description="the signing certificate's private key, PEM, unencrypted: a file's path (owner-only), or "
        "the PEM itself; never logged or served",
        json_schema_extra={"shown": ""},
    )
    c2pa_include_prompt: bool = Field(
        False,
        description="`1`: manifests also record the prompt and negative prompt, which anyone holding the "
        "image can then read",
    )
    c2pa_thumbnail: bool = Field(
        False, description="`1`: manifests embed a thumbnail of the image (kilobytes to a megabyte more)"
    )
    c2pa_trust_anchors: str = Field(
        "",
        description="more CA certificates that verification trusts beside this service's own (a PEM bundle: "
        "a file's path, or the PEM itself)",
    )

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> Self:
        if bool(self.c2pa_cert.strip()) != bool(self.c2pa_key.get_secret_value().strip()):
            raise ValueError("SFUMATO_C2PA_CERT and SFUMATO_C2PA_KEY go together: give both, or neither")
        return self
