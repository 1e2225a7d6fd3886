"""Read-model tables and the projectors' checkpoints (rebuildable from the log at any time)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.adapters.sql.tables import metadata
from services.adapters.sql.types import UtcDateTime

__all__ = [
    "proj_patients",
    "proj_profiles",
    "proj_sessions",
    "proj_verdicts",
    "projection_checkpoints",
    "projection_faults",
]

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    # The fold version that built the read model (see ``Projection.version``).
    Column("version", Integer, nullable=False, server_default="1"),
)

proj_sessions = Table(
    "proj_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("clinic_id", String(64), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("protocol", String(32), nullable=True),
    Column("session_start", UtcDateTime, nullable=True),
    Column("ended", Boolean, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("history_json", Text, nullable=False),
    Index("ix_proj_sessions_clinic_start", "clinic_id", "session_start"),
    Index("ix_proj_sessions_patient", "patient_id"),
)

proj_patients = Table(
    "proj_patients",
    metadata,
    Column("patient_key", String(130), primary_key=True),
    Column("clinic_id", String(64), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("history_json", Text, nullable=False),
)

proj_profiles = Table(
    "proj_profiles",
    metadata,
    Column("profile_key", String(100), primary_key=True),
    Column("clinic_id", String(64), nullable=False),
    Column("protocol", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("history_json", Text, nullable=False),
    Index("ix_proj_profiles_clinic", "clinic_id"),
)
"""Each clinic's profile versions per protocol (``projections.ProtocolProfile``)."""

proj_verdicts = Table(
    "proj_verdicts",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("clinic_id", String(64), nullable=False),
    Column("patient_key", String(130), nullable=False),
    Column("session_start", UtcDateTime, nullable=True),
    # Stored in UTC; the offset it was told in, so a report from stored rows tells the
    # same start in the same words as one judged on demand.
    Column("start_offset_minutes", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("protocol", String(32), nullable=True),
    Column("profile_version", Integer, nullable=True),
    Column("failed_rules", Text, nullable=False),
    Column("judged_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=True),
    Column("zone", String(64), nullable=False),
    Column("verdict_version", Integer, nullable=False),
    Column("session_position", BigInteger, nullable=False),
    Column("patient_position", BigInteger, nullable=False),
    Column("verdict_json", Text, nullable=False),
    Index("ix_proj_verdicts_clinic_start", "clinic_id", "session_start"),
    Index("ix_proj_verdicts_valid_until", "valid_until"),
)
"""Each session's current verdict, the instant it stops being valid, and what it was judged
from (``services/adapters/sql/verdict_store.py``); rebuildable from the other read models."""

projection_faults = Table(
    "projection_faults",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("projection", String(64), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("problem", Text, nullable=False),
    Column("noted_at", UtcDateTime, nullable=False),
    # A rebuild meets the same event again; it is on record once.
    UniqueConstraint("projection", "position", name="uq_projection_faults_position"),
)
"""Log events a projection could not fold: skipped, so one event never stalls them all."""
