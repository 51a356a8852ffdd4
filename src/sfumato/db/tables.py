"""The tables, as SQLAlchemy maps them. Only db/ sees these rows; the modules beside this one hand
domain records up (domain.keys, domain.jobs, domain.images)."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sfumato.db.types import UTCDateTime
from sfumato.domain.ids import new_webhook_secret

ACTIVE_JOBS = "status IN ('queued', 'processing')"  # the partial index's rows: what db.pools counts


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class KeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key
    prefix: Mapped[str] = mapped_column(String(16))  # the key's first characters, to recognise it
    plan: Mapped[str] = mapped_column(String(40))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    rpm: Mapped[int | None] = mapped_column(Integer)  # overrides the plan's requests a minute
    monthly_images: Mapped[int | None] = mapped_column(Integer)  # overrides the plan's quota
    max_queued: Mapped[int | None] = mapped_column(Integer)  # overrides the plan's jobs queued at once
    max_priority: Mapped[str | None] = mapped_column(String(8))  # overrides the plan's highest priority
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Signs this key's webhooks (Standard Webhooks); shown by GET /v1/webhooks/secret.
    webhook_secret: Mapped[str] = mapped_column(String(64), default=new_webhook_secret, server_default="")


def _waiting(name: str, *columns: str) -> Index:
    """An index of the queued jobs alone (db.claims, db.places): it holds what waits, never the history.
    A query reaches it only with the condition written as this literal (db.places.QUEUED)."""
    where = text("status = 'queued'")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        # A key's pages, newest first, seek to their cursor: (created_at, id) is the order (db.pagination).
        Index("ix_jobs_key_created", "key_id", "created_at", "id"),
        Index("ix_jobs_key_status_created", "key_id", "status", "created_at", "id"),
        Index("ix_jobs_key_model_created", "key_id", "model", "created_at", "id"),  # ?model= of a key's list
        # A pool's queue depth (db.pools): only the jobs that are queued or processing, by model.
        Index(
            "ix_jobs_active_model",
            "model",
            "status",
            postgresql_where=text(ACTIVE_JOBS),
            sqlite_where=text(ACTIVE_JOBS),
        ),
        # The fair queue (domain.fairness): a model's turns, a batch's compatible jobs in turn order, a key's
        # jobs by priority then age and by turn, a model's oldest job; and the recent rate of starts.
        _waiting("ix_jobs_queue_turn", "model", "turn", "key_id", "id"),
        _waiting("ix_jobs_queue_batch", "batch_key", "turn", "key_id", "id"),
        _waiting("ix_jobs_queue_key", "key_id", "model", "priority", "created_at", "id"),
        _waiting("ix_jobs_queue_key_turn", "key_id", "model", "turn", "id"),
        _waiting("ix_jobs_queue_age", "model", "created_at", "id"),
        Index("ix_jobs_model_started", "model", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(80))
    n: Mapped[int] = mapped_column(Integer)
    batch_key: Mapped[str] = mapped_column(String(200), server_default="")  # domain.batching.batch_key
    turn: Mapped[float] = mapped_column(Float, server_default="0")  # its place on the queue's clock
    priority: Mapped[int] = mapped_column(Integer, server_default="1")  # domain.fairness.rank: 0 first
    warnings: Mapped[list[str] | None] = mapped_column(JSON)  # what the engine could not do as asked
    charged_month: Mapped[str | None] = mapped_column(String(7))  # the quota month its n images count in
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # The worker holding the job, until when; after the end, the worker that finished it.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None]
    preview: Mapped[str | None] = mapped_column(Text)  # the latest step's small picture, PNG in base64
    # The words it is found by (db.job_words): written with the job; Core deletes remove them (db.jobs).
    words: Mapped[list["JobWordRow"]] = relationship(lazy="raise", cascade="save-update")


class JobWordRow(Base):
    """One word of a job's prompt or name (domain.search): a key's search reads, on its primary key, the jobs
    with a word newest first, whatever the history's length."""

    __tablename__ = "job_words"
    __table_args__ = (Index("ix_job_words_job_word", "job_id", "word"),)  # the other words; deletions

    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    word: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(primary_key=True)  # the job's
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)


class ImageRow(Base):
    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("job_id", "job_index", name="uq_images_job_index"),
        Index("ix_images_key_created", "key_id", "created_at", "id"),
        Index("ix_images_key_name_created", "key_id", "name", "created_at", "id"),
        Index("ix_images_expires", "expires_at"),
        Index("ix_images_access_token", "access_token", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"))
    job_index: Mapped[int | None] = mapped_column(Integer)  # i of the job's n images: seed + i
    name: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[int] = mapped_column(BigInteger)  # seed + i may pass 2**31 - 1
    model: Mapped[str] = mapped_column(String(80))
    style: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the image is made: the key-free URL of the hosted dialects, valid until the image expires.
    access_token: Mapped[str | None] = mapped_column(String(64))
    source_image_id: Mapped[str | None] = mapped_column(String(40))  # the key's image this one was made from


class UsageRow(Base):
    """Images charged to a key in one UTC month (db.usage): its quota's count."""

    __tablename__ = "usage_months"

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    images: Mapped[int] = mapped_column(Integer)


class IdempotencyRow(Base):
    """A POST's `Idempotency-Key`, per API key: the request it came with and the job it created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_job", "job_id"),)  # the sweeper deletes a job's

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the route and the request
    job_id: Mapped[str] = mapped_column(String(40))  # no foreign key: a deleted job frees the key
    created_at: Mapped[datetime]


class TallyRow(Base):
    """Jobs in the database that ended in a status (db.status_counts): what /metrics reads instead of a count
    of the whole history."""

    __tablename__ = "job_tallies"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)  # succeeded, failed, canceled
    jobs: Mapped[int] = mapped_column(BigInteger)


class DeliveryRow(Base):
    """One event for one webhook URL: its body once rendered, and how its attempts went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_job", "job_id", "status"),  # the sweeper's check for a pending one
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_…: the `webhook-id`, every attempt
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    job_id: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(32))  # job.succeeded, job.failed, job.canceled
    body: Mapped[str | None] = mapped_column(Text)  # rendered at the first attempt, then sent as it is
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed, gone
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]  # also the lease of an attempt in flight
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class SecretRow(Base):
    """A secret the service made for itself, the same for every process (db.secrets)."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ClientOptionsRow(Base):
    """Settings a key's client keeps on the server (AUTOMATIC1111's options): db.client_options."""

    __tablename__ = "client_options"

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    client: Mapped[str] = mapped_column(String(40), primary_key=True)  # "a1111"
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class SessionRow(Base):
    """A dashboard session signed in with a key (db.sessions): the cookie names it, and it is live while
    this row is, so signing out ends every copy of the cookie."""

    __tablename__ = "dashboard_sessions"
    __table_args__ = (Index("ix_dashboard_sessions_created", "created_at"),)  # expired ones go by age

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime]


class LoraRow(Base):
    """A LoRA adapter (db.loras): a key's own, or the operator's shared with every key (no key)."""

    __tablename__ = "loras"
    __table_args__ = (
        UniqueConstraint("key_id", "name", name="uq_loras_key_name"),
        # A shared name is unique among the shared ones (a key's own may shadow it).
        Index(
            "uq_loras_shared_name",
            "name",
            unique=True,
            postgresql_where=text("key_id IS NULL"),
            sqlite_where=text("key_id IS NULL"),
        ),
        Index("ix_loras_key_created", "key_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"))
    name: Mapped[str] = mapped_column(String(64))
    family: Mapped[str] = mapped_column(String(16))
    base_model: Mapped[str | None] = mapped_column(String(200))
    rank: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    modules: Mapped[dict[str, int]] = mapped_column(JSON)  # component to modules touched
    trigger_words: Mapped[list[str]] = mapped_column(JSON)
    layout: Mapped[str] = mapped_column(String(8))  # peft or kohya
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class WorkerRow(Base):
    """A worker's heartbeat (db.workers): the models it serves and holds in memory, when it was last seen."""

    __tablename__ = "workers"
    __table_args__ = (Index("ix_workers_seen", "seen_at"),)  # the live ones, and the old ones to sweep

    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # as jobs' lease_owner names it
    models: Mapped[list[str]] = mapped_column(JSON)  # served, the default first
    loaded: Mapped[list[str]] = mapped_column(JSON)  # in memory now
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]
