"""Per-session and per-patient histories: the pure folds every other read model starts from.

A history keeps every recorded event of its session (or patient) in log order,
so that any question (a timeline, a verdict as of an instant) can be answered
from it without going back to the log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from events import (
    PATIENT_LEVEL_EVENT_TYPES,
    AccessRecorded,
    IntegrationNoteRecorded,
    ProfileChanged,
    Protocol,
    RecordAmended,
    SessionEvent,
    SessionScheduled,
)
from projections.amendments import apply_amendments
from projections.recorded import Recorded

__all__ = [
    "PatientHistory",
    "SessionHistory",
    "evolve_patient",
    "evolve_session",
    "integrates",
    "is_patient_level",
    "patient_key_of",
    "patient_keys",
    "session_keys",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionHistory:
    """Everything recorded about one treatment session, in log order."""

    session_id: str
    clinic_id: str
    patient_id: str
    events: tuple[Recorded, ...] = ()

    @property
    def protocol(self) -> Protocol | None:
        """The protocol of the latest ``session.scheduled``, as corrected, if any."""
        booking = self._booking()
        return booking.payload.protocol if booking is not None else None

    @property
    def scheduled_start(self) -> datetime | None:
        """The planned start of the latest ``session.scheduled``, as corrected, if any."""
        booking = self._booking()
        return booking.payload.scheduled_start if booking is not None else None

    def _booking(self) -> SessionScheduled | None:
        # Corrected like every other record: a session booked as iv-ketamine and amended to
        # spravato-rems is judged, listed and reported as SPRAVATO from the amendment on.
        relevant = [r for r in self.events if isinstance(r.event, SessionScheduled | RecordAmended)]
        for entry in reversed(apply_amendments(relevant)):
            if isinstance(entry.recorded.event, SessionScheduled):
                return entry.recorded.event
        return None

    @property
    def ended(self) -> bool:
        return any(r.event.event_type == "session.ended" for r in self.events)

    @property
    def first_occurred_at(self) -> datetime | None:
        return min((r.event.occurred_at for r in self.events), default=None)

    @property
    def last_position(self) -> int:
        return self.events[-1].position if self.events else 0

    def as_of(self, instant: datetime) -> SessionHistory:
        """The history as it stood at ``instant``: only events recorded by then."""
        if all(r.recorded_at <= instant for r in self.events):
            # The usual case (a report as of now): judging asks for it several times.
            return self
        return replace(self, events=tuple(r for r in self.events if r.recorded_at <= instant))

    def to_document(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "clinic_id": self.clinic_id,
            "patient_id": self.patient_id,
            "events": [r.to_document() for r in self.events],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> SessionHistory:
        return cls(
            session_id=document["session_id"],
            clinic_id=document["clinic_id"],
            patient_id=document["patient_id"],
            events=tuple(Recorded.from_document(d) for d in document["events"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientHistory:
    """A patient's patient-level events (consents, REMS enrollment, their amendments), and
    every integration note of the patient with the amendments that re-point one.

    The notes are here because a correction of ``integrates_session_id`` moves a note from
    one session to another, and a fold keyed event by event cannot know the session a note
    leaves (the amendment names only the new one) nor bring the note to the session it
    joins. Both sessions are the same patient's, so a verdict finds the corrected note here.
    """

    clinic_id: str
    patient_id: str
    events: tuple[Recorded, ...] = ()

    def as_of(self, instant: datetime) -> PatientHistory:
        if all(r.recorded_at <= instant for r in self.events):
            return self
        return replace(self, events=tuple(r for r in self.events if r.recorded_at <= instant))

    def to_document(self) -> dict[str, Any]:
        return {
            "clinic_id": self.clinic_id,
            "patient_id": self.patient_id,
            "events": [r.to_document() for r in self.events],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> PatientHistory:
        return cls(
            clinic_id=document["clinic_id"],
            patient_id=document["patient_id"],
            events=tuple(Recorded.from_document(d) for d in document["events"]),
        )


def session_keys(recorded: Recorded) -> tuple[str, ...]:
    """The sessions whose history takes this event: its own, and for an integration
    note recorded in a later therapy session, also the session it integrates (as first
    recorded; a correction of that is found through the patient's history)."""
    event = recorded.event
    if isinstance(event, AccessRecorded | ProfileChanged):
        # Reads are the access report's business, not part of the clinical record; profile
        # changes are the clinic's, kept in the profile history.
        return ()
    if event.event_type in PATIENT_LEVEL_EVENT_TYPES or event.session_id is None:
        return ()
    if isinstance(event, IntegrationNoteRecorded):
        integrated = event.payload.integrates_session_id
        if integrated != event.session_id:
            return (event.session_id, integrated)
    return (event.session_id,)


def patient_keys(recorded: Recorded) -> tuple[str, ...]:
    """``clinic_id/patient_id`` of the patient history this event extends, if any."""
    event = recorded.event
    if isinstance(event, AccessRecorded | ProfileChanged):
        return ()
    if is_patient_level(event) or _places_a_note(event):
        return (patient_key_of(clinic_id=event.clinic_id, patient_id=event.patient_id),)
    return ()


def is_patient_level(event: SessionEvent) -> bool:
    """A consent, a REMS enrollment or an amendment of one: about the patient, no session."""
    if isinstance(event, ProfileChanged):
        return False
    return event.event_type in PATIENT_LEVEL_EVENT_TYPES or event.session_id is None


def _places_a_note(event: SessionEvent) -> bool:
    # A note, or a correction of the session it integrates (only notes have that field).
    if isinstance(event, IntegrationNoteRecorded):
        return True
    return isinstance(event, RecordAmended) and "integrates_session_id" in event.payload.corrected


def patient_key_of(*, clinic_id: str, patient_id: str) -> str:
    """The key of a patient's history (clinic ids never contain ``/``)."""
    return f"{clinic_id}/{patient_id}"


def integrates(event: SessionEvent, *, session_id: str, clinic_id: str, patient_id: str) -> bool:
    """Whether ``event`` is an integration note following up that session.

    The note must name the session and be the same clinic's, about the same patient: a
    session id alone may be another clinic's, or mistyped for another patient's session.
    """
    return (
        isinstance(event, IntegrationNoteRecorded)
        and event.payload.integrates_session_id == session_id
        and (event.clinic_id, event.patient_id) == (clinic_id, patient_id)
    )


def evolve_session(state: SessionHistory | None, recorded: Recorded, *, key: str) -> SessionHistory:
    """Fold one event into session ``key``'s history; redelivered positions change nothing.

    The first event to name the session makes it that clinic's and patient's (as the
    recorder binds a session id to its first owner); a later event of another clinic or
    patient naming the same id stays in the log but never joins this history.
    """
    event = recorded.event
    if state is None:
        state = SessionHistory(
            session_id=key,
            clinic_id=event.clinic_id,
            patient_id=event.patient_id,
        )
    if state.events and recorded.position <= state.last_position:
        return state
    if (event.clinic_id, event.patient_id) != (state.clinic_id, state.patient_id):
        return state
    return replace(state, events=(*state.events, recorded))


def evolve_patient(state: PatientHistory | None, recorded: Recorded, *, key: str) -> PatientHistory:
    """Fold one patient-level event into the patient's history."""
    event = recorded.event
    if state is None:
        state = PatientHistory(clinic_id=event.clinic_id, patient_id=event.patient_id)
    if state.events and recorded.position <= state.events[-1].position:
        return state
    return replace(state, events=(*state.events, recorded))
