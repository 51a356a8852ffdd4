"""An image made from one of the key's images records it (images in: image-to-image, inpainting, edits).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No foreign key: the source may be deleted, or expire, before the images made from it.
    op.add_column("images", sa.Column("source_image_id", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("images", "source_image_id")
