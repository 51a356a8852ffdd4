"""Where things live: the data folder, the database, the image store and how its files are delivered, and
the address clients reach (docs/settings.md, docs/deployment.md)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX, shown
from sfumato.home import default_data_dir


class PlaceSettings(BaseSettings):
    model_config = PREFIX

    # Where things live.
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="the database file and the images of the embedded default, whatever folder it runs from",
        json_schema_extra=shown("`data/` beside the `sfumato` launcher, else `~/.local/share/sfumato`"),
    )
    database_url: str = Field(
        "",
        description="where keys, jobs and images live: `sqlite:///…` or "
        "`postgresql://user:password@host:5432/db`",
        json_schema_extra=shown("`sqlite:///$SFUMATO_DATA_DIR/sfumato.db`"),
    )
    storage_url: str = Field(
        "",
        description="where image files live: `file:///…` or `s3://bucket/prefix`",
        json_schema_extra=shown("`file://$SFUMATO_DATA_DIR/images`"),
    )
    s3_endpoint_url: str = Field(
        "",
        description="an S3-compatible server (`http://minio:9000`); empty: boto3's own (`AWS_ENDPOINT_URL`, "
        "else AWS)",
    )
    s3_region: str = Field("", description="empty: `AWS_REGION` / `AWS_DEFAULT_REGION` / `~/.aws/config`")
    s3_access_key_id: str = Field(
        "", description="empty: `AWS_ACCESS_KEY_ID`, `~/.aws/credentials`, or the instance's role"
    )
    s3_secret_access_key: str = Field(
        "", description="empty: `AWS_SECRET_ACCESS_KEY`, `~/.aws/credentials`, or the instance's role"
    )
    image_delivery: Literal["api", "presigned", "public"] = Field(
        "api",
        description="how the key-free URLs (`/p/…` published, `/i/…` of the hosted dialects) answer: `api` "
        "sends the bytes; `presigned` answers 307 to a presigned S3 URL; `public` answers 307 to "
        "`SFUMATO_STORAGE_PUBLIC_URL/<key>`",
    )
    storage_public_url: str = Field(
        "",
        description="for `public` delivery: where the storage's keys can be read without credentials (a CDN, "
        "a public bucket prefix)",
    )
    presign_seconds: int = Field(
        300, ge=1, le=604800, description="how long a presigned URL works (never past the image's expiry)"
    )
    public_base_url: str = Field(
        "",
        description="the address clients reach, for the URLs the service hands out",
        json_schema_extra=shown("the request's own address"),
    )
