"""The profile versions read model: each clinic's thresholds per protocol, version by version.

Revision ID: 0010
Revises: 0009

Rebuildable from the log like every read model (``profile.changed`` events).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proj_profiles",
        sa.Column("profile_key", sa.String(100), primary_key=True),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("protocol", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("history_json", sa.Text, nullable=False),
    )
    op.create_index("ix_proj_profiles_clinic", "proj_profiles", ["clinic_id"])


def downgrade() -> None:
    op.drop_table("proj_profiles")
