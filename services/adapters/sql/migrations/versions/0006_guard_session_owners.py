"""Session owners are append-only, like the log they are derived from.

Revision ID: 0006
Revises: 0005

``session_owners`` decides which clinic and patient a session's events must belong to;
an edited row would let another clinic's events into a session (or lock its own out).
The same triggers as on ``event_log`` refuse UPDATE, DELETE and TRUNCATE, and
``kapaudit verify`` checks the rows against the log.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLE = "session_owners"


def upgrade() -> None:
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {_TABLE}_no_update_delete ON {_TABLE}")
        op.execute(f"DROP TRIGGER {_TABLE}_no_truncate ON {_TABLE}")
        return
    for operation in ("update", "delete"):
        op.execute(f"DROP TRIGGER {_TABLE}_no_{operation}")
