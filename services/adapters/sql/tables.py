"""Table definitions; the migrations create exactly these (a contract test compares them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.adapters.sql.types import UtcDateTime

__all__ = [
    "APPEND_ONLY_TABLES",
    "checkpoints",
    "event_log",
    "exports",
    "merkle_leaves",
    "merkle_nodes",
    "metadata",
    "rejected_events",
    "session_owners",
]

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT becomes INTEGER there.
_Position = BigInteger().with_variant(Integer(), "sqlite")

event_log = Table(
    "event_log",
    metadata,
    Column("position", _Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("stream_id", String(200), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("clinic_id", String(64), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("event_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("kafka_topic", String(249), nullable=True),
    Column("kafka_partition", Integer, nullable=True),
    Column("kafka_offset", BigInteger, nullable=True),
    UniqueConstraint("event_id", name="uq_event_log_event_id"),
    UniqueConstraint("stream_id", "sequence", name="uq_event_log_stream_sequence"),
    Index("ix_event_log_clinic_occurred", "clinic_id", "occurred_at"),
    Index("ix_event_log_session", "session_id"),
    Index("ix_event_log_patient", "patient_id"),
    sqlite_autoincrement=True,
)

rejected_events = Table(
    "rejected_events",
    metadata,
    Column("id", _Position, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("kafka_topic", String(249), nullable=False),
    Column("kafka_partition", Integer, nullable=False),
    Column("kafka_offset", BigInteger, nullable=False),
    Column("kafka_key", LargeBinary, nullable=True),
    Column("raw_value", LargeBinary, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("errors_json", Text, nullable=False),
    Column("event_id", String(36), nullable=True),
    UniqueConstraint(
        "kafka_topic", "kafka_partition", "kafka_offset", name="uq_rejected_events_coordinates"
    ),
    Index("ix_rejected_events_reason", "reason"),
    sqlite_autoincrement=True,
)

session_owners = Table(
    "session_owners",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("clinic_id", String(64), nullable=False),
    Column("patient_id", String(64), nullable=False),
)
"""The clinic and patient each session id was first recorded for; the recorder refuses
events that name the session for anyone else. Derived from the log, in the same
transaction as the events that bind it."""

merkle_leaves = Table(
    "merkle_leaves",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    UniqueConstraint("position", name="uq_merkle_leaves_position"),
)
"""Leaf ``leaf_index`` of the Merkle tree: which log row it is (its ordinal in position
order; positions have gaps, a rolled-back insert still draws one) and its leaf hash.
Written with the rows."""

merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
"""Every complete perfect subtree of the Merkle tree above the leaves (level >= 1; the
leaf hashes are in ``merkle_leaves``), so that a root or a proof reads O(log n) rows
instead of rehashing the log."""

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", _Position, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False),
    Column("root_hash", String(64), nullable=False),
    Column("note_text", Text, nullable=False),
    Column("key_id", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_checkpoints_size", "size"),
    sqlite_autoincrement=True,
)
"""Signed tree heads (C2SP tlog-checkpoint notes) of the log, newest last."""

exports = Table(
    "exports",
    metadata,
    Column("export_id", String(40), primary_key=True, autoincrement=False),
    Column("clinic_id", String(64), nullable=False),
    Column("patient_id", String(64), nullable=True),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("requested_by", String(128), nullable=False),
    Column("requester_role", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("entries_written", BigInteger, nullable=False),
    Column("entries_expected", BigInteger, nullable=True),
    Column("checkpoint_size", BigInteger, nullable=True),
    Column("previous_sizes", Text, nullable=False),
    Column("bundle_path", Text, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_exports_clinic_status", "clinic_id", "status"),
)
"""Bundles asked for and made (``kapaudit export``, later ``POST /v1/exports``): their
progress while they run, and the checkpoint each was made against, from which the next
export of the clinic proves consistency. Bookkeeping, not evidence: rows change status."""

APPEND_ONLY_TABLES = (
    "event_log",
    "rejected_events",
    "session_owners",
    "merkle_leaves",
    "merkle_nodes",
    "checkpoints",
)
"""Tables whose rows the database itself refuses to change or remove."""
