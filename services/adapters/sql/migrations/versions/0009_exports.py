"""Export bundles: requests, progress, and the checkpoint each one was made against.

Revision ID: 0009
Revises: 0008

Not append-only: an export's row moves from ``queued`` to ``running`` to ``done`` or
``failed``. The evidence is the bundle and the checkpoint it pins, not this row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.adapters.sql.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("export_id", sa.String(40), primary_key=True, autoincrement=False),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=True),
        sa.Column("period_start", UtcDateTime, nullable=False),
        sa.Column("period_end", UtcDateTime, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requester_role", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entries_written", sa.BigInteger, nullable=False),
        sa.Column("entries_expected", sa.BigInteger, nullable=True),
        sa.Column("checkpoint_size", sa.BigInteger, nullable=True),
        sa.Column("previous_sizes", sa.Text, nullable=False),
        sa.Column("bundle_path", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=True),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_exports_clinic_status", "exports", ["clinic_id", "status"])


def downgrade() -> None:
    op.drop_table("exports")
