"""The body of ``GET /v1/sessions/{session_id}/timeline``, from ``projections.timeline``."""

from __future__ import annotations

from typing import Any, Literal

from events import ActorRole, Protocol
from services.bodies.common import ExactOut, Instant

__all__ = ["AmendmentNote", "SessionTimeline", "TimelineEntry"]


class AmendmentNote(ExactOut):
    """A correction applied to an entry."""

    event_id: str
    """The `record.amended` event."""
    recorded_at: Instant
    occurred_at: Instant
    author: str
    """The amending actor and role, e.g. `rn-1 (nurse)`."""
    reason: str
    corrected: dict[str, Any]
    """Payload field -> its corrected value."""


class TimelineEntry(ExactOut):
    """One event of the session, or of its patient, with corrections applied."""

    event_id: str
    event_type: str
    """The event contract's type, e.g. `dose.administered`."""
    scope: Literal["session", "patient"]
    """`session` for the session's own events, `patient` for consent and enrollment."""
    occurred_at: Instant
    recorded_at: Instant
    position: int
    """The event's position in the log."""
    actor_id: str
    actor_role: ActorRole
    source: str
    summary: str
    """The summary with corrections applied."""
    original_summary: str | None
    """The summary as first recorded, when a correction changed it; null otherwise."""
    amendments: list[AmendmentNote]
    rejected_amendments: list[str]
    """Why corrections aimed at this entry could not be applied."""


class SessionTimeline(ExactOut):
    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    """Null when no `session.scheduled` was recorded by `as_of`."""
    as_of: Instant
    entries: list[TimelineEntry]
    """In clinical order (occurred_at, then position)."""
