"""Projection faults: log events a projection could not fold, skipped and kept on record.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.adapters.sql.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_faults",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("projection", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("problem", sa.Text, nullable=False),
        sa.Column("noted_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("projection", "position", name="uq_projection_faults_position"),
    )


def downgrade() -> None:
    op.drop_table("projection_faults")
