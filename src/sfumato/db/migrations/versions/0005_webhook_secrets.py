"""Every key gets the `whsec_` secret that signs its webhooks (docs/webhooks.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import base64
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NOT NULL with a placeholder default (SQLite adds such a column in place), then a real secret each.
    op.add_column("api_keys", sa.Column("webhook_secret", sa.String(64), nullable=False, server_default=""))
    keys = sa.table("api_keys", sa.column("id", sa.String), sa.column("webhook_secret", sa.String))
    connection = op.get_bind()
    for (key_id,) in connection.execute(sa.select(keys.c.id)).all():
        # As domain.ids.new_webhook_secret made it when this was written.
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        connection.execute(keys.update().where(keys.c.id == key_id).values(webhook_secret=secret))


def downgrade() -> None:
    op.drop_column("api_keys", "webhook_secret")
