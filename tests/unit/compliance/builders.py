"""Test data for the compliance engine: editable stories of one session, made of real events.

A ``Story`` holds named event documents (copies of the contract's examples with fresh
UUIDs); tests edit them by name, then ask for the verdict. Each document becomes a
``Recorded`` with increasing positions and ``recorded_at`` one minute after it occurred,
unless the test says otherwise.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from events import PATIENT_LEVEL_EVENT_TYPES, Protocol, parse_event
from events.examples import EXAMPLES
from projections.compliance import (
    Outcome,
    Profile,
    RuleResult,
    SessionVerdict,
    evaluate,
    load_profile,
)
from projections.history import PatientHistory, SessionHistory, patient_key_of
from projections.projection import PATIENTS, SESSIONS, fold
from projections.recorded import Recorded
from projections.verdicts import judge

CLINIC: Final = "clinic-demo"
PATIENT: Final = "pt-5c1e9a"
SESSION: Final = "sess-0042"
LATER_SESSION: Final = "sess-0043"
EST: Final = timezone(timedelta(hours=-5))
DAY: Final = datetime(2025, 3, 4, tzinfo=EST)
"""The treatment day; clock times in tests are on it, in the clinic's offset (-05:00)."""
LONG_AFTER: Final = DAY + timedelta(days=60)
"""An as_of when every deadline has passed and every event is recorded."""

_KEEP: Final = object()


def at(clock: str, *, day: int = 0) -> datetime:
    """``at("09:10")`` is 09:10 on the treatment day; ``day=2`` two days later."""
    hours, minutes = (int(part) for part in clock.split(":"))
    return DAY + timedelta(days=day, hours=hours, minutes=minutes)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


_DOSES: Final[Mapping[Protocol, dict[str, Any]]] = {
    Protocol.IV_KETAMINE: {
        "medication": "ketamine",
        "route": "iv",
        "dose_mg": 35,
        "infusion_minutes": 40,
        "patient_weight_kg": 70,
    },
    Protocol.IM_KETAMINE: {
        "medication": "ketamine",
        "route": "im",
        "dose_mg": 50,
        "infusion_minutes": None,
        "patient_weight_kg": None,
    },
    Protocol.SUBLINGUAL_KETAMINE: {
        "medication": "ketamine",
        "route": "sublingual",
        "dose_mg": 200,
        "infusion_minutes": None,
        "patient_weight_kg": None,
    },
    Protocol.SPRAVATO_REMS: {
        "medication": "esketamine",
        "route": "intranasal",
        "dose_mg": 56,
        "lot_number": "ESK24A031",
        "infusion_minutes": None,
        "patient_weight_kg": None,
        "container_id": None,
    },
}

# Monitoring checks after the 09:10 dose, and discharge, per protocol: every gap is
# exactly 15 min where the interval rule applies, and observation is just over the minimum.
_CHECKS: Final[Mapping[Protocol, tuple[str, ...]]] = {
    Protocol.IV_KETAMINE: ("09:25", "09:40", "09:55", "10:10", "10:25", "10:40", "10:55"),
    Protocol.IM_KETAMINE: ("09:25", "09:40", "09:55", "10:10", "10:25"),
    Protocol.SUBLINGUAL_KETAMINE: ("09:25", "09:40", "09:55", "10:10", "10:25"),
    Protocol.SPRAVATO_REMS: ("09:25", "09:50", "10:20", "10:50", "11:05"),
}
_DISCHARGE: Final[Mapping[Protocol, str]] = {
    Protocol.IV_KETAMINE: "11:00",
    Protocol.IM_KETAMINE: "10:30",
    Protocol.SUBLINGUAL_KETAMINE: "10:30",
    Protocol.SPRAVATO_REMS: "11:15",
}


class Story:
    """The events of one session (and of its patient, and follow-ups), by name."""

    def __init__(self, protocol: Protocol | None) -> None:
        self.protocol = protocol
        self._docs: dict[str, dict[str, Any]] = {}
        self._recorded_at: dict[str, datetime] = {}

    # Building -------------------------------------------------------------------------

    def add(
        self,
        name: str,
        event_type: str,
        *,
        at: datetime,
        recorded_at: datetime | None = None,
        actor: str | None = None,
        session_id: Any = _KEEP,
        **payload: Any,
    ) -> Story:
        """Add an event made from the contract's example of ``event_type``."""
        if name in self._docs:
            raise ValueError(f"story already has an event named {name}")
        doc = copy.deepcopy(EXAMPLES[event_type])
        doc["event_id"] = str(uuid.uuid4())
        doc["session_id"] = None if event_type in PATIENT_LEVEL_EVENT_TYPES else SESSION
        self._docs[name] = doc
        return self.change(
            name, at=at, recorded_at=recorded_at, actor=actor, session_id=session_id, **payload
        )

    def change(
        self,
        name: str,
        *,
        at: datetime | None = None,
        recorded_at: datetime | None = None,
        actor: str | None = None,
        session_id: Any = _KEEP,
        clinic_id: str | None = None,
        patient_id: str | None = None,
        **payload: Any,
    ) -> Story:
        """Edit an event: its time, recording time, actor, session, clinic, patient or payload
        fields."""
        doc = self._docs[name]
        if at is not None:
            doc["occurred_at"] = at.isoformat()
        if recorded_at is not None:
            self._recorded_at[name] = recorded_at
        if actor is not None:
            doc["actor"]["id"] = actor
        if session_id is not _KEEP:
            doc["session_id"] = session_id
        if clinic_id is not None:
            doc["clinic_id"] = clinic_id
        if patient_id is not None:
            doc["patient_id"] = patient_id
        doc["payload"] = {
            key: (value.isoformat() if isinstance(value, datetime) else value)
            for key, value in {**doc["payload"], **payload}.items()
        }
        return self

    def drop(self, *names: str) -> Story:
        for name in names:
            del self._docs[name]
            self._recorded_at.pop(name, None)
        return self

    def amend(
        self, name: str, *, target: str, at: datetime, reason: str = "Corrected", **corrected: Any
    ) -> Story:
        """Add a ``record.amended`` correcting ``target``, in the target's stream."""
        return self.add(
            name,
            "record.amended",
            at=at,
            session_id=self._docs[target]["session_id"],
            amends_event_id=self.event_id(target),
            reason=reason,
            corrected=corrected,
        )

    # Reading --------------------------------------------------------------------------

    def event_id(self, name: str) -> str:
        return str(self._docs[name]["event_id"])

    def occurred_at(self, name: str) -> datetime:
        return datetime.fromisoformat(self._docs[name]["occurred_at"])

    def recorded_at(self, name: str) -> datetime:
        return self._recorded_at.get(name, self.occurred_at(name) + minutes(1))

    def recorded(self) -> list[Recorded]:
        """Every event as the log would hold it: positions follow recording order."""
        names = sorted(self._docs, key=self.recorded_at)
        return [
            Recorded(
                event=parse_event(json.dumps(self._docs[name]).encode("utf-8")),
                position=position,
                recorded_at=self.recorded_at(name),
            )
            for position, name in enumerate(names, start=1)
        ]

    def histories(self) -> tuple[SessionHistory, PatientHistory, list[Recorded]]:
        """(this session's history, the patient's history, events of other sessions)."""
        own, patient, others = [], [], []
        for recorded in self.recorded():
            event = recorded.event
            if event.event_type in PATIENT_LEVEL_EVENT_TYPES or event.session_id is None:
                patient.append(recorded)
            elif event.session_id == SESSION:
                own.append(recorded)
            else:
                others.append(recorded)
        return (
            SessionHistory(
                session_id=SESSION, clinic_id=CLINIC, patient_id=PATIENT, events=tuple(own)
            ),
            PatientHistory(clinic_id=CLINIC, patient_id=PATIENT, events=tuple(patient)),
            others,
        )

    def profile(self, **overrides: Any) -> Profile:
        assert self.protocol is not None, "a story without a protocol needs an explicit profile"
        return load_profile(self.protocol, overrides=overrides)

    def verdict(
        self,
        *,
        as_of: datetime = LONG_AFTER,
        profile: Profile | None = None,
        with_patient: bool = True,
        **overrides: Any,
    ) -> SessionVerdict:
        session, patient, others = self.histories()
        return evaluate(
            session=session,
            patient=patient if with_patient else None,
            profile=profile or self.profile(**overrides),
            as_of=as_of,
            follow_ups=others,
        )

    def result(self, rule_id: str, **kwargs: Any) -> RuleResult:
        return self.verdict(**kwargs).result(rule_id)

    def judged(
        self, *, as_of: datetime = LONG_AFTER, session_id: str = SESSION, **overrides: Any
    ) -> SessionVerdict:
        """The verdict as production reaches it (``HistoryQueries``): the log folded into the
        stored session and patient histories, then ``judge``, which picks the profile from the
        session's own (corrected) protocol."""
        log = self.recorded()
        sessions = fold(SESSIONS, {}, log)
        patients = fold(PATIENTS, {}, log)
        session = sessions[session_id]
        return judge(
            session=session,
            patient=patients.get(
                patient_key_of(clinic_id=session.clinic_id, patient_id=session.patient_id)
            ),
            profile_for=lambda protocol: load_profile(protocol, overrides=overrides),
            as_of=as_of,
        )


def compliant(protocol: Protocol) -> Story:
    """A session that meets every rule of ``protocol``'s shipped profile.

    Consent (and REMS enrolment) 12 days before; baseline BP 128/82 and SpO2 98% at 09:05;
    the dose at 09:10; checks as in ``_CHECKS``; a witnessed waste at 09:52; discharge;
    the session ends 5 min later; the integration note two days after (recorded in
    sess-0043) and, for SPRAVATO, the monitoring form the next day.
    """
    story = Story(protocol)
    story.add("consent", "consent.given", at=at("14:30", day=-12))
    if protocol is Protocol.SPRAVATO_REMS:
        story.add("enrolment", "rems.patient_enrolled", at=at("15:05", day=-12))
    story.add(
        "scheduled",
        "session.scheduled",
        at=at("11:00", day=-8),
        protocol=protocol.value,
        scheduled_start=at("09:00"),
    )
    story.add("started", "session.started", at=at("09:02"))
    story.add("baseline", "vitals.recorded", at=at("09:05"))
    story.add("dose", "dose.administered", at=at("09:10"), **_DOSES[protocol])
    medication = _DOSES[protocol]["medication"]
    for clock in _CHECKS[protocol]:
        story.add(f"check {clock}", "vitals.recorded", at=at(clock))
    story.add(
        "waste",
        "dose.wasted",
        at=at("09:52"),
        medication=medication,
        lot_number=_DOSES[protocol].get("lot_number", "KT24B117"),
        container_id=None,
    )
    discharge = at(_DISCHARGE[protocol])
    story.add("discharge", "patient.discharged", at=discharge)
    story.add("ended", "session.ended", at=discharge + minutes(5))
    story.add(
        "note",
        "integration_note.recorded",
        at=discharge + timedelta(days=2),
        session_id=LATER_SESSION,
        integrates_session_id=SESSION,
    )
    if protocol is Protocol.SPRAVATO_REMS:
        story.add("form", "rems.monitoring_form_submitted", at=discharge + timedelta(days=1))
    return story


def assert_fails_alone(verdict: SessionVerdict, rule_id: str) -> RuleResult:
    """``rule_id`` failed, and no other rule did; returns its result."""
    result = verdict.result(rule_id)
    assert result.outcome is Outcome.FAIL, result
    others = [r for r in verdict.failed_rules if r.rule_id != rule_id]
    assert others == [], others
    return result
