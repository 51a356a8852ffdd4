"""Settings: flags, then SFUMATO_* environment variables, then these defaults (API.md §1)."""

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sfumato.domain.plans import DEFAULT_PLANS, Plan


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFUMATO_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="database file and images of the embedded default")
    database_url: str = Field("", description="sqlite:///… (default, in data_dir) or postgresql://…")
    storage_url: str = Field(
        "", description="file://… (default, data_dir/images) or s3://bucket/prefix (scale-out)"
    )
    model: str = Field("sdxl-lightning", description="the model this server and its workers serve")
    public_base_url: str = Field("", description="the address clients reach; default: the request's own")
    redis_url: str = Field("", description="redis://…: rate-limit counts shared by every API process")
    retention_days: int = Field(30, ge=1)

    # S3-compatible storage (SFUMATO_STORAGE_URL=s3://…); empty values fall back to boto3's own
    # chain: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, ~/.aws, roles.
    s3_endpoint_url: str = Field(
        "", description="e.g. http://minio:9000; empty: AWS S3 (or AWS_ENDPOINT_URL)"
    )
    s3_region: str = Field("", description="empty: AWS_REGION / AWS_DEFAULT_REGION / ~/.aws")
    s3_access_key_id: str = Field("", description="empty: AWS_ACCESS_KEY_ID / ~/.aws / the instance's role")
    s3_secret_access_key: str = Field("", description="empty: AWS_SECRET_ACCESS_KEY / ~/.aws / the role")
    image_delivery: Literal["api", "presigned", "public"] = Field(
        "api",
        description="how the key-free image URLs (/p/…, /i/…) answer: api = the API sends the bytes; "
        "presigned = 307 to a presigned S3 URL; public = 307 to SFUMATO_STORAGE_PUBLIC_URL/key",
    )
    storage_public_url: str = Field(
        "", description="image_delivery=public: where the storage's keys are readable, e.g. a CDN"
    )
    presign_seconds: int = Field(300, ge=1, le=604800, description="how long a presigned URL works")
    sweep_seconds: float = Field(300.0, gt=0, description="how often each API process deletes expired images")
    webhooks_allow_private: bool = False

    # Plans and limits (API.md §9).
    plans: dict[str, Plan] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description='JSON: each plan\'s figures, e.g. {"starter": {"monthly_images": 100}}; '
        "named fields replace the defaults, a new name adds a plan",
    )
    default_plan: str = "starter"
    content_policy_file: str = Field(
        "", description="blocked terms and patterns, one a line; empty: the shipped list; none: no list"
    )
    blocked_terms: str = Field("", description="more blocked terms, comma-separated, added to the list")

    host: str = "127.0.0.1"
    port: int = 8000
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="`sfumato worker`: serve its /metrics on this port (on SFUMATO_HOST)",
    )

    # The job queue (DESIGN.md principle 1).
    lease_seconds: float = Field(30.0, gt=0, description="how long a claim lasts without renewal")
    max_attempts: int = Field(3, ge=1, description="claims of one job before it is failed")
    poll_seconds: float = Field(1.0, gt=0, description="how often idle workers and waiters look again")
    max_queued_jobs: int = Field(1000, ge=1, description="queued jobs past which new work answers 503")
    max_wait_seconds: float = Field(300.0, ge=0, description="the longest `Prefer: wait=N` honoured")
    default_wait_seconds: float = Field(60.0, ge=0, description="how long imagine waits without `Prefer`")

    # The engine.
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    base_model: str = Field(
        "stabilityai/stable-diffusion-xl-base-1.0",
        description="SDXL base for sdxl-lightning: a Hugging Face hub id or a local diffusers folder",
    )
    lightning_repo: str = Field(
        "ByteDance/SDXL-Lightning",
        description="where sdxl_lightning_{N}step_unet.safetensors lies: a hub id or a local folder",
    )
    allow_download: bool = Field(True, description="fetch missing weights from the hub at start-up")

    # HTTP.
    max_body_bytes: int = Field(1 << 20, ge=1024)
    auth_failures_per_minute: int = Field(
        30, ge=1, description="wrong keys one client address may send a minute before it is refused (429)"
    )

    # The worker's batches and the engine's speed (README, "How it works").
    batch_images: int = Field(
        8,
        ge=1,
        le=64,
        description="most images one pipeline call makes, for jobs of one size, steps and guidance",
    )
    batch_wait_ms: float = Field(
        10.0, ge=0, le=1000, description="how long a batch that is not full waits for more compatible jobs"
    )
    encode_threads: int = Field(2, ge=1, le=32, description="threads that encode and store finished images")
    compile: bool = Field(
        False, description="torch.compile the UNet and VAE decoder: a slower start, faster steps on a GPU"
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
