"""Settings: flags, then SFUMATO_* environment variables, then these defaults.

Each field's description is its documentation: docs/settings.md is generated from this class
(`python -m sfumato.docgen`), and a test checks the two agree. `shown` is the default as the page
states it, where the value itself would mislead (a path filled in from another setting)."""

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sfumato.domain.plans import DEFAULT_PLANS, Plan
from sfumato.home import default_data_dir


def _shown(text: str) -> dict[str, Any]:
    return {"shown": text}


def _cpus() -> int:
    """The CPUs this process may run on (a container's share), not the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFUMATO_", extra="ignore")

    # Where things live.
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="the database file and the images of the embedded default, whatever folder it runs from",
        json_schema_extra=_shown("`data/` beside the `sfumato` launcher, else `~/.local/share/sfumato`"),
    )
    database_url: str = Field(
        "",
        description="where keys, jobs and images live: `sqlite:///…` or "
        "`postgresql://user:password@host:5432/db`",
        json_schema_extra=_shown("`sqlite:///$SFUMATO_DATA_DIR/sfumato.db`"),
    )
    storage_url: str = Field(
        "",
        description="where image files live: `file:///…` or `s3://bucket/prefix`",
        json_schema_extra=_shown("`file://$SFUMATO_DATA_DIR/images`"),
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
        json_schema_extra=_shown("the request's own address"),
    )

    # What is served, and where.
    model: str = Field(
        "sdxl-lightning",
        description="the model this server and its workers serve: `sdxl-lightning`, `sdxl-lightning-2step`, "
        "`sdxl-lightning-8step`, `tiny`, `sdxl-random` (docs/models.md)",
    )
    host: str = Field("127.0.0.1", description="where `serve` listens")
    port: int = Field(8000, description="where `serve` listens")
    forwarded_allow_ips: str = Field(
        "",
        description="the proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: addresses or "
        "networks, comma-separated, `*` for any; empty: none, the connection's own address is the client's",
    )
    allowed_hosts: str = Field(
        "",
        description="the names clients may reach the service by (the `Host` header), comma-separated, "
        "`*` for any; others are answered 400",
        json_schema_extra=_shown(
            "`localhost`, the loopback addresses, the listening address and the host of "
            "`SFUMATO_PUBLIC_BASE_URL`"
        ),
    )
    max_header_bytes: int = Field(
        65536, ge=4096, le=16 * 1024 * 1024, description="request line and headers, at most (431 past it)"
    )
    header_timeout_seconds: float = Field(
        10, gt=0, le=3600, description="a request's line and headers must arrive within this (408 past it)"
    )
    keep_alive_seconds: int = Field(
        75,
        ge=1,
        le=3600,
        description="an idle connection waits this long for its next request: longer than clients keep "
        "theirs (httpx 5 s), so a client never sends on a connection the server is closing",
    )
    body_timeout_seconds: float = Field(
        60, gt=0, le=3600, description="a request's body must arrive within this of its headers"
    )
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="`sfumato worker` only: serve that worker's `/metrics` on this port"
    )

    # Plans, limits and retention (docs/plans.md).
    plans: dict[str, Plan] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description='JSON: each plan\'s figures (`{"starter": {"monthly_images": 100}}`); given fields '
        "replace the defaults, a new name adds a plan",
        json_schema_extra=_shown("the table in docs/plans.md"),
    )
    default_plan: str = Field("starter", description="the plan of keys created without `--plan`")
    redis_url: str = Field(
        "",
        description="`redis://host:port/db`: rate-limit counts shared by every API process; empty: in this "
        "process's memory",
    )
    auth_failures_per_minute: int = Field(
        30,
        ge=1,
        description="wrong keys one client address may send in a minute; past that it is answered 429",
    )
    content_policy_file: str = Field(
        "",
        description="blocked terms and patterns, one a line, replacing the shipped list; `none`: no list",
        json_schema_extra=_shown("the shipped list"),
    )
    blocked_terms: str = Field("", description="more blocked terms, comma-separated, added to the list")
    retention_days: int = Field(
        30, ge=1, description="images expire this long after they are made; then a sweeper deletes them"
    )
    sweep_seconds: float = Field(
        300.0, gt=0, description="how often each API process deletes expired images (and once at start)"
    )

    # The job queue (docs/architecture.md).
    lease_seconds: float = Field(
        30.0, gt=0, description="how long a worker's claim on a job lasts without renewal"
    )
    max_attempts: int = Field(
        3, ge=1, description="claims of one job (workers that died holding it) before it is failed"
    )
    poll_seconds: float = Field(
        1.0, gt=0, description="how often idle workers, and waiters on another process's worker, look again"
    )
    max_queued_jobs: int = Field(
        1000, ge=1, description="queued jobs past which new work answers 503 `overloaded`"
    )
    default_wait_seconds: float = Field(
        60.0, ge=0, description="how long imagine waits without `Prefer: wait=N`"
    )
    max_wait_seconds: float = Field(
        300.0, ge=0, description="the longest `Prefer: wait=N` honoured, and the synchronous dialects' wait"
    )

    a1111_anonymous_key: str = Field(
        "",
        description="the id (`key_…`) of a key that AUTOMATIC1111 requests without a key act as; empty: such "
        "requests are refused (401). For clients that cannot send one; logged at every start",
    )

    # HTTP, the dashboard and webhooks.
    session_secret: str = Field(
        "",
        description="signs the dashboard's session cookies; empty: one made at the first start and kept in "
        "the database, so every process shares it",
    )
    max_body_bytes: int = Field(
        1 << 20,
        ge=1024,
        description="larger request bodies answer 413; routes that take images also take their "
        "`SFUMATO_MAX_INPUT_BYTES` (twice: an image and a mask, as base64)",
    )
    max_input_bytes: int = Field(
        20_000_000,
        ge=1024,
        description="the largest input image (image-to-image, inpainting, edits), in bytes",
    )
    max_input_pixels: int = Field(
        4096 * 4096,
        ge=256 * 256,
        description="the most pixels an input image may have, counted from its header before it is decoded",
    )
    webhooks_allow_private: bool = Field(
        False,
        description="`1` lets webhooks use plain http and reach loopback and private addresses: for "
        "development and tests only",
    )

    # The engine (docs/models.md).
    device: Literal["auto", "cuda", "mps", "cpu"] = Field(
        "auto", description="`cuda`, `mps` or `cpu`; `auto`: the first of them present"
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="`bfloat16`, `float16` or `float32`; `auto`: cuda bf16, mps fp16, cpu fp32"
    )
    base_model: str = Field(
        "stabilityai/stable-diffusion-xl-base-1.0",
        description="SDXL base for the sdxl-lightning models: a Hugging Face hub id or a local diffusers "
        "folder",
    )
    lightning_repo: str = Field(
        "ByteDance/SDXL-Lightning",
        description="where `sdxl_lightning_{N}step_unet.safetensors` lies: a hub id or a local folder",
    )
    allow_download: bool = Field(True, description="fetch missing weights from the hub at start-up")
    compile: bool = Field(
        False,
        description="`torch.compile` the UNet and the VAE decoder, with fused QKV projections and "
        "channels-last memory: each warm-up size compiles at start (minutes the first time; kernels are kept "
        "in `$SFUMATO_DATA_DIR/compile-cache` for the next start unless `TORCHINDUCTOR_CACHE_DIR` is set)",
    )
    warmup_sizes: str = Field(
        "",
        pattern=r"^(\d+x\d+(,\d+x\d+)*)?$",
        description="the sizes (`1024x1024,832x1216`) made once before `/readyz` answers, so that with "
        "`SFUMATO_COMPILE` no request waits for a compilation",
        json_schema_extra=_shown("the model's native size"),
    )
    precision: Literal["bf16", "fp8"] = Field(
        "bf16",
        description="`bf16`: the UNet in `SFUMATO_DTYPE`; `fp8`: its linear layers in FP8 (torchao: `pip "
        "install sfumato[fp8]`), on CUDA GPUs of compute capability 8.9 or newer; refused at start elsewhere",
    )

    # The worker's batches (docs/architecture.md, "Batches").
    batch_images: int = Field(
        8,
        ge=1,
        le=64,
        description="the most images one pipeline call makes (jobs of one model, size, step count and "
        "guidance)",
    )
    batch_wait_ms: float = Field(
        10.0,
        ge=0,
        le=1000,
        description="how long a batch that is not full waits for more compatible jobs, only under load (the "
        "last batch held several jobs)",
    )
    encode_threads: int = Field(
        default_factory=lambda: min(8, _cpus()),
        ge=1,
        le=32,
        description="threads that encode and store finished images while the engine makes the next batch",
        json_schema_extra=_shown("the CPUs this process may use, at most 8"),
    )
    png_compress_level: int = Field(
        4,
        ge=0,
        le=9,
        description="zlib level of the PNG files made, 0 (none, fastest) to 9: 4 made files as small as 6 "
        "in 80% of its time, and 12% smaller than 1 in 1.8 times its time (docs/benchmarks.md)",
    )

    @model_validator(mode="after")
    def _fill_paths(self) -> "Settings":
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'sfumato.db'}"
        if not self.storage_url:
            self.storage_url = (self.data_dir / "images").as_uri()
        self.public_base_url = self.public_base_url.rstrip("/")
        self.storage_public_url = self.storage_public_url.rstrip("/")
        if self.image_delivery == "presigned" and not self.storage_url.startswith("s3://"):
            raise ValueError("image_delivery=presigned needs s3:// storage (SFUMATO_STORAGE_URL)")
        if self.image_delivery == "public" and not self.storage_public_url:
            raise ValueError("image_delivery=public needs SFUMATO_STORAGE_PUBLIC_URL")
        if self.default_plan not in self.plans:
            raise ValueError(f"default_plan must be one of {', '.join(self.plans)}")
        return self

    @field_validator("plans", mode="before")
    @classmethod
    def _merge_plans(cls, given: Any) -> Any:
        """Figures given for a plan replace only those figures; the other plans stay as they are."""
        if not isinstance(given, dict):
            return given
        merged: dict[str, Any] = {name: plan.model_dump() for name, plan in DEFAULT_PLANS.items()}
        for name, figures in given.items():
            if isinstance(figures, Plan):
                figures = figures.model_dump()
            merged[name] = {**merged.get(name, {}), **figures} if isinstance(figures, dict) else figures
        return merged
