"""A running job's latest preview (a small PNG, base64), for the events stream and OpenAI's partial images.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("preview", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "preview")
