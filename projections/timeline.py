"""A session's timeline: every event in clinical order, corrections shown beside originals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events import RecordAmended
from projections.amendments import Amended, amend_streams
from projections.history import PatientHistory, SessionHistory, integrates, is_patient_level
from projections.recorded import Recorded
from projections.summaries import summarize

__all__ = ["AmendmentNote", "Timeline", "TimelineEntry", "build_timeline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentNote:
    """A correction applied to an entry: who made it, when, why, and what changed."""

    event_id: str
    recorded_at: datetime
    occurred_at: datetime
    author: str
    reason: str
    corrected: dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEntry:
    """One line of the timeline."""

    event_id: str
    event_type: str
    scope: str
    """``session`` for the session's own events and the notes integrating it, ``patient`` for
    consent and enrollment."""
    occurred_at: datetime
    recorded_at: datetime
    position: int
    actor_id: str
    actor_role: str
    source: str
    summary: str
    """The summary with corrections applied."""
    original_summary: str | None = None
    """The summary as first recorded, when a correction changed it."""
    amendments: tuple[AmendmentNote, ...] = ()
    rejected_amendments: tuple[str, ...] = ()
    """Why corrections aimed at this entry could not be applied."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    session_id: str
    clinic_id: str
    patient_id: str
    protocol: str | None
    as_of: datetime
    entries: tuple[TimelineEntry, ...]


def build_timeline(
    *, session: SessionHistory, patient: PatientHistory | None, as_of: datetime
) -> Timeline:
    """The timeline as it stood at ``as_of`` (only events recorded by then).

    Corrections are applied wherever they were filed, so the notes shown as integrating
    the session are the ones that do after correction, as in its verdict.
    """
    session = session.as_of(as_of)
    patient_events = patient.as_of(as_of).events if patient is not None else ()
    mine, theirs = amend_streams(session.events, patient_events)
    entries = [_entry(item, scope="session") for item in mine if _belongs(item, session)]
    # The patient's history holds every note of the patient: a note a correction pointed
    # at this session is found there (one first filed here was claimed by ``mine``).
    entries += [_entry(item, scope="session") for item in theirs if _integrates(item, session)]
    entries += [
        _entry(item, scope="patient")
        for item in theirs
        if is_patient_level(item.recorded.event) and _matters_to(item, session)
    ]
    entries.sort(key=lambda e: (e.occurred_at, e.position))
    return Timeline(
        session_id=session.session_id,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        protocol=session.protocol.value if session.protocol else None,
        as_of=as_of,
        entries=tuple(entries),
    )


def _integrates(item: Amended, session: SessionHistory) -> bool:
    return integrates(
        item.recorded.event,
        session_id=session.session_id,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
    )


def _belongs(item: Amended, session: SessionHistory) -> bool:
    # The history also holds notes of later sessions as first recorded; a correction may
    # have pointed one at another session since.
    return item.recorded.event.session_id == session.session_id or _integrates(item, session)


def _matters_to(item: Amended, session: SessionHistory) -> bool:
    # Everything up to the session's last event: the consent in force, any
    # withdrawal, REMS enrollment, and corrections of those. Later consents
    # belong to later sessions (and a later session's note filed here does not
    # stretch this one).
    last = max(
        (r.event.occurred_at for r in session.events if r.event.session_id == session.session_id),
        default=None,
    )
    return last is None or item.recorded.event.occurred_at <= last


def _entry(item: Amended, *, scope: str) -> TimelineEntry:
    event = item.recorded.event
    changed = bool(item.amendments) and summarize(item.original.event) != summarize(event)
    return TimelineEntry(
        event_id=item.recorded.event_id,
        event_type=event.event_type,
        scope=scope,
        occurred_at=event.occurred_at,
        recorded_at=item.recorded.recorded_at,
        position=item.recorded.position,
        actor_id=event.actor.id,
        actor_role=event.actor.role.value,
        source=event.source,
        summary=summarize(event),
        original_summary=summarize(item.original.event) if changed else None,
        amendments=tuple(_note(a) for a in item.amendments),
        rejected_amendments=tuple(reason for _, reason in item.rejected_amendments),
    )


def _note(amending: Recorded) -> AmendmentNote:
    event = amending.event
    if not isinstance(event, RecordAmended):
        raise TypeError(f"{amending.event_id} is not a record.amended")
    return AmendmentNote(
        event_id=amending.event_id,
        recorded_at=amending.recorded_at,
        occurred_at=event.occurred_at,
        author=f"{event.actor.id} ({event.actor.role.value})",
        reason=event.payload.reason,
        corrected=dict(event.payload.corrected),
    )
