"""Checkpoints say which fold version built each read model.

Revision ID: 0005
Revises: 0004

Existing read models get version 1, so the projector rebuilds them with today's folds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projection_checkpoints") as table:
        table.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("projection_checkpoints") as table:
        table.drop_column("version")
