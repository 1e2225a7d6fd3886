"""Session owners are append-only, like the log they are derived from.

Revision ID: 0006
Revises: 0005

``session_owners`` decides which clinic and patient a session's events must belong to;
an edited row would let another clinic's events into a session (or lock its own out).
The same triggers as on ``event_log`` refuse UPDATE, DELETE and TRUNCATE, and
``kapaudit verify`` checks the rows against the log.

Migration 0004 bound sessions from the ``session_id`` column alone; a session named only
by an integration note's ``payload.integrates_session_id`` (as the recorder binds it since
0004) is bound here to the first such note's clinic and patient, so that verify does not
report upgraded logs for a gap of the backfill.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLE = "session_owners"


def upgrade() -> None:
    _bind_integrated_sessions()
    if op.get_bind().dialect.name == "postgresql":
        # kapaudit_reject_mutation() was created by 0001.
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION kapaudit_reject_mutation()"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kapaudit_reject_mutation()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_{operation.lower()} BEFORE {operation} ON {_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only: {operation} rejected'); END"
        )


def _bind_integrated_sessions() -> None:
    bind = op.get_bind()
    owned = {row[0] for row in bind.execute(sa.text("SELECT session_id FROM session_owners"))}
    notes = bind.execute(
        sa.text(
            "SELECT clinic_id, patient_id, event_json FROM event_log "
            "WHERE event_type = 'integration_note.recorded' ORDER BY position"
        )
    )
    bound = []
    for clinic_id, patient_id, event_json in notes:
        session = json.loads(event_json).get("payload", {}).get("integrates_session_id")
        if isinstance(session, str) and session not in owned:
            owned.add(session)
            bound.append({"session_id": session, "clinic_id": clinic_id, "patient_id": patient_id})
    if bound:
        bind.execute(
            sa.text(
                "INSERT INTO session_owners (session_id, clinic_id, patient_id) "
                "VALUES (:session_id, :clinic_id, :patient_id)"
            ),
            bound,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {_TABLE}_no_update_delete ON {_TABLE}")
        op.execute(f"DROP TRIGGER {_TABLE}_no_truncate ON {_TABLE}")
        return
    for operation in ("update", "delete"):
        op.execute(f"DROP TRIGGER {_TABLE}_no_{operation}")
