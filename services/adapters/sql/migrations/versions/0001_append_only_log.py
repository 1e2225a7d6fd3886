"""The append-only event log and the rejected-events table, guarded by triggers.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.adapters.sql.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_GUARDED = ("event_log", "rejected_events")


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("position", _Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("event_json", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("kafka_topic", sa.String(249), nullable=True),
        sa.Column("kafka_partition", sa.Integer, nullable=True),
        sa.Column("kafka_offset", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("event_id", name="uq_event_log_event_id"),
        sa.UniqueConstraint("stream_id", "sequence", name="uq_event_log_stream_sequence"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_log_clinic_occurred", "event_log", ["clinic_id", "occurred_at"])
    op.create_index("ix_event_log_session", "event_log", ["session_id"])
    op.create_index("ix_event_log_patient", "event_log", ["patient_id"])
    op.create_table(
        "rejected_events",
        sa.Column("id", _Position, primary_key=True, autoincrement=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("kafka_topic", sa.String(249), nullable=False),
        sa.Column("kafka_partition", sa.Integer, nullable=False),
        sa.Column("kafka_offset", sa.BigInteger, nullable=False),
        sa.Column("kafka_key", sa.LargeBinary, nullable=True),
        sa.Column("raw_value", sa.LargeBinary, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("errors_json", sa.Text, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.UniqueConstraint(
            "kafka_topic",
            "kafka_partition",
            "kafka_offset",
            name="uq_rejected_events_coordinates",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_rejected_events_reason", "rejected_events", ["reason"])
    for table in _GUARDED:
        _guard(table)


def downgrade() -> None:
    # The log is evidence: no migration path removes it.
    raise RuntimeError("the append-only log cannot be downgraded")


def _guard(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION kapaudit_reject_mutation() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kapaudit_reject_mutation()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kapaudit_reject_mutation()"
        )
    else:
        # SQLite has no TRUNCATE; a DELETE without WHERE still fires row triggers.
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} rejected'); END"
            )
