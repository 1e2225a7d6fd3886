"""Session ids belong to one clinic and one patient.

Revision ID: 0004
Revises: 0003

Backfilled from the log: a session belongs to the clinic and patient of the first event
recorded for it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_owners",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
    )
    op.execute(
        "INSERT INTO session_owners (session_id, clinic_id, patient_id) "
        "SELECT session_id, clinic_id, patient_id FROM event_log WHERE position IN "
        "(SELECT MIN(position) FROM event_log WHERE session_id IS NOT NULL GROUP BY session_id)"
    )


def downgrade() -> None:
    op.drop_table("session_owners")
