"""Read models of the session and patient histories, and projector checkpoints.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.adapters.sql.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "proj_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("protocol", sa.String(32), nullable=True),
        sa.Column("session_start", UtcDateTime, nullable=True),
        sa.Column("ended", sa.Boolean, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("history_json", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_proj_sessions_clinic_start", "proj_sessions", ["clinic_id", "session_start"]
    )
    op.create_index("ix_proj_sessions_patient", "proj_sessions", ["patient_id"])
    op.create_table(
        "proj_patients",
        sa.Column("patient_key", sa.String(130), primary_key=True),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("history_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    # Read models are derived data: dropping them loses nothing the log cannot rebuild.
    op.drop_table("proj_patients")
    op.drop_table("proj_sessions")
    op.drop_table("projection_checkpoints")
