"""Stored verdicts: each session's current verdict and the instant it stops being valid.

Revision ID: 0011
Revises: 0010

A read model like the others: written by the projector with the histories it is judged
from, and judged again when it is missing or stale, so an empty table only costs time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.adapters.sql.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proj_verdicts",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("patient_key", sa.String(130), nullable=False),
        sa.Column("session_start", UtcDateTime, nullable=True),
        sa.Column("start_offset_minutes", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("protocol", sa.String(32), nullable=True),
        sa.Column("profile_version", sa.Integer, nullable=True),
        sa.Column("failed_rules", sa.Text, nullable=False),
        sa.Column("judged_at", UtcDateTime, nullable=False),
        sa.Column("valid_until", UtcDateTime, nullable=True),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("verdict_version", sa.Integer, nullable=False),
        sa.Column("session_position", sa.BigInteger, nullable=False),
        sa.Column("patient_position", sa.BigInteger, nullable=False),
        sa.Column("verdict_json", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_proj_verdicts_clinic_start", "proj_verdicts", ["clinic_id", "session_start"]
    )
    op.create_index("ix_proj_verdicts_valid_until", "proj_verdicts", ["valid_until"])


def downgrade() -> None:
    op.drop_table("proj_verdicts")
