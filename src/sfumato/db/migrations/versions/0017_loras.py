"""LoRA adapters (docs/api.md §16): a key's own and the operator's shared ones, each a file in the store.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARED = "key_id IS NULL"


def upgrade() -> None:
    op.create_table(
        "loras",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key_id", sa.String(40), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("family", sa.String(16), nullable=False),
        sa.Column("base_model", sa.String(200), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("trigger_words", sa.JSON(), nullable=False),
        sa.Column("layout", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key_id", "name", name="uq_loras_key_name"),
    )
    op.create_index(
        "uq_loras_shared_name",
        "loras",
        ["name"],
        unique=True,
        postgresql_where=sa.text(SHARED),
        sqlite_where=sa.text(SHARED),
    )
    op.create_index("ix_loras_key_created", "loras", ["key_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_loras_key_created", table_name="loras")
    op.drop_index("uq_loras_shared_name", table_name="loras")
    op.drop_table("loras")
