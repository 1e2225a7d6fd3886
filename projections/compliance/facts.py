"""What the rules look at: one session's corrected events, sorted and typed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timezone, tzinfo
from typing import TypeVar

from events import (
    AdverseEventReported,
    ConsentGiven,
    ConsentWithdrawn,
    DoseAdministered,
    DoseWasted,
    EventEnvelope,
    IntegrationNoteRecorded,
    PatientDischarged,
    Protocol,
    RemsMonitoringFormSubmitted,
    RemsPatientEnrolled,
    SessionEnded,
    SessionScheduled,
    VitalsRecorded,
)
from projections.compliance.profile import Profile
from projections.history import integrates
from projections.recorded import Recorded

__all__ = ["SessionFacts", "has_blood_pressure"]

_Event = TypeVar("_Event", bound=EventEnvelope)


def _of_type(events: Iterable[object], kind: type[_Event]) -> tuple[_Event, ...]:
    # Clinical order, not log order: events arrive late and out of order. The sort is
    # stable, so events at the same instant keep their log order.
    return tuple(sorted((e for e in events if isinstance(e, kind)), key=lambda e: e.occurred_at))


def _session_clock(session_events: Iterable[Recorded], *, otherwise: datetime) -> tzinfo:
    """The UTC offset a session's times are told in: the one its (latest, corrected) booking's
    planned start was written with; without a booking its earliest event's; else as_of's."""
    events = [r.event for r in session_events]
    bookings = [e for e in events if isinstance(e, SessionScheduled)]
    if bookings:
        instant = bookings[-1].payload.scheduled_start
    elif events:
        instant = min(e.occurred_at for e in events)
    else:
        instant = otherwise
    offset = instant.utcoffset()
    return timezone(offset) if offset is not None else UTC


def _on_clock(recorded: Recorded, zone: tzinfo) -> Recorded:
    # The same instants, on another clock: only the UTC offset of the printed times changes.
    event = recorded.event
    moved = _fixed(event.occurred_at, zone)
    if moved.utcoffset() != event.occurred_at.utcoffset():
        event = event.model_copy(update={"occurred_at": moved})
    # Built, not dataclasses.replace'd: this runs for every event of every judged session.
    return Recorded(
        event=event, position=recorded.position, recorded_at=_fixed(recorded.recorded_at, zone)
    )


def _fixed(instant: datetime, zone: tzinfo) -> datetime:
    """``instant`` on ``zone``'s clock, with the offset in force then as a fixed offset.

    Rules add spans to these times ("7 days after the session's end"); with a DST zone
    attached, Python would add them on the wall clock and a deadline across a DST change
    would move by an hour. A fixed offset keeps every span exact.
    """
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    return local if offset is None else local.replace(tzinfo=timezone(offset))


def has_blood_pressure(check: VitalsRecorded) -> bool:
    return check.payload.systolic_mmhg is not None and check.payload.diastolic_mmhg is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFacts:
    """A session as the rules see it: restricted to ``as_of`` and with corrections applied."""

    session_id: str
    patient_id: str
    protocol: Protocol
    """The protocol being judged: the profile's."""
    profile: Profile
    as_of: datetime
    recorded: tuple[Recorded, ...]
    """The events recorded in this session (its own ``session_id``), in log order, corrected;
    notes filed here from later sessions are not among them."""
    doses: tuple[DoseAdministered, ...]
    checks: tuple[VitalsRecorded, ...]
    wastes: tuple[DoseWasted, ...]
    adverse_events: tuple[AdverseEventReported, ...]
    discharge: PatientDischarged | None
    """The first discharge: when the patient left."""
    ended: SessionEnded | None
    monitoring_forms: tuple[RemsMonitoringFormSubmitted, ...]
    integration_notes: tuple[IntegrationNoteRecorded, ...]
    """Notes integrating this session, whichever session they were recorded in."""
    consents: tuple[ConsentGiven, ...]
    withdrawals: tuple[ConsentWithdrawn, ...]
    enrolments: tuple[RemsPatientEnrolled, ...]

    @classmethod
    def gather(
        cls,
        *,
        session_id: str,
        clinic_id: str,
        patient_id: str,
        profile: Profile,
        as_of: datetime,
        session_events: tuple[Recorded, ...],
        patient_events: tuple[Recorded, ...],
        follow_ups: tuple[Recorded, ...],
        zone: tzinfo | None = None,
    ) -> SessionFacts:
        # Sources (EHR, pumps, monitors, the server's recorded_at) may write times in
        # different UTC offsets; a sentence like "from the first dose at 14:10 to discharge
        # at 11:00" must not mix them. Every time of the
        # session is told on one clock: the clinic's when the caller knows it, else the one
        # the session was booked in (see _session_clock); comparisons are unaffected.
        zone = zone or _session_clock(
            (r for r in session_events if r.event.session_id == session_id), otherwise=as_of
        )
        as_of = _fixed(as_of, zone)
        session_events, patient_events, follow_ups = (
            tuple(_on_clock(r, zone) for r in stream)
            for stream in (session_events, patient_events, follow_ups)
        )
        # The stored history also holds notes recorded in later sessions that integrate this
        # one. They count as this session's follow-up, but every other rule (timeliness
        # included) judges them as the records of the session they were written in.
        mine = tuple(r for r in session_events if r.event.session_id == session_id)
        own = [r.event for r in mine]
        patient = [r.event for r in patient_events]
        # Notes are looked for everywhere: the patient's history holds every note of the
        # patient, so one re-pointed here by a correction is found too.
        notes = _of_type(
            [r.event for stream in (session_events, patient_events, follow_ups) for r in stream],
            IntegrationNoteRecorded,
        )
        discharges = _of_type(own, PatientDischarged)
        endings = _of_type(own, SessionEnded)
        return cls(
            session_id=session_id,
            patient_id=patient_id,
            protocol=profile.protocol,
            profile=profile,
            as_of=as_of,
            recorded=mine,
            doses=_of_type(own, DoseAdministered),
            checks=_of_type(own, VitalsRecorded),
            wastes=_of_type(own, DoseWasted),
            adverse_events=_of_type(own, AdverseEventReported),
            discharge=discharges[0] if discharges else None,
            ended=endings[0] if endings else None,
            monitoring_forms=_of_type(own, RemsMonitoringFormSubmitted),
            # A note recorded in this session but integrating an earlier one is that
            # session's follow-up, not this one's; another clinic's or patient's note naming
            # this session id is not this patient's integration work.
            integration_notes=tuple(
                n
                for n in notes
                if integrates(n, session_id=session_id, clinic_id=clinic_id, patient_id=patient_id)
            ),
            consents=_of_type(patient, ConsentGiven),
            withdrawals=_of_type(patient, ConsentWithdrawn),
            enrolments=_of_type(patient, RemsPatientEnrolled),
        )

    @property
    def first_dose(self) -> DoseAdministered | None:
        return self.doses[0] if self.doses else None

    def blood_pressures(self) -> tuple[VitalsRecorded, ...]:
        return tuple(check for check in self.checks if has_blood_pressure(check))
