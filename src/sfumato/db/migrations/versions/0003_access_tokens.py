"""Every image gets an unguessable access token: the key-free URL the hosted dialects hand out.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("images", sa.Column("access_token", sa.String(64), nullable=True))
    images = sa.table("images", sa.column("id", sa.String), sa.column("access_token", sa.String))
    connection = op.get_bind()
    for (image_id,) in connection.execute(sa.select(images.c.id)).all():
        token = secrets.token_urlsafe(24)  # as domain.ids.new_public_token
        connection.execute(images.update().where(images.c.id == image_id).values(access_token=token))
    op.create_index("ix_images_access_token", "images", ["access_token"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_images_access_token", "images")
    op.drop_column("images", "access_token")
