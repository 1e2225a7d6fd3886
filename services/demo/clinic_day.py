"""A realistic, deterministic demo day at a KAP clinic, as contract-v1 event documents.

The generator: it turns the clinic's roster (`services.demo.clinic_day_roster`: rooms,
staff, stock and the day's 24 session plans, lapses planted) into the events each session
produces: consents, bookings, doses, wastes, vital signs, discharges and follow-ups. The
roster's names a caller needs (`SessionPlan`, `Lapse`, `PLANTED_LAPSES`, ...) are
re-exported from here, where they were first defined.

Everything is computed, nothing is random: the same day gives the same documents and the
same event ids (`uuid5` over a fixed namespace and a stable name). Times are planned on the
clinic's wall clock and carried as absolute instants, so the whole day can be shifted to end
just before a given `now` (for a demo published live, which must look contemporaneous).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final

from events.enums import ActorRole, AdverseEventCategory, Medication, Protocol, Route, Sedation
from events.enums import Severity as AdverseSeverity
from services.demo.clinic_day_roster import (
    CLINIC_ZONE,
    EHR,
    ESKETAMINE_LOT,
    KETAMINE_LOT,
    PHARMACIST,
    PLANS,
    PLANTED_LAPSES,
    SCHEDULER,
    SPRAVATO_NDC,
    SUBLINGUAL_LOT,
    THERAPY_NOTES,
    Lapse,
    Room,
    SessionPlan,
    Twist,
)

__all__ = [
    "CLINIC_ZONE",
    "DEFAULT_DAY",
    "PLANTED_LAPSES",
    "Lapse",
    "Room",
    "SessionPlan",
    "Twist",
    "demo_day_events",
]

DEFAULT_DAY: Final = date(2026, 11, 24)
"""The demo day when none is given: fixed, so the default output never changes."""

# Fixed forever: changing it would change every demo event id.
_NAMESPACE: Final = uuid.UUID("75fea66b-d8c2-437d-93f5-f004a05ebdc9")

# The scheduling system confirms the day's roster in the morning and publishes every booking
# then; this keeps bookings within 24 hours of the rest of the day (documentation rule).
_ROSTER_CONFIRMED: Final = time(6, 30)
# A dose is never given on arrival: the patient settles, baseline vitals are taken.
_START_TO_FIRST_DOSE: Final = timedelta(minutes=15)
_BASELINE_BEFORE_DOSE: Final = 10
_DISCHARGE_TO_END: Final = timedelta(minutes=5)
# How long before `now` the shifted day's last event lies.
_SETTLE: Final = timedelta(minutes=5)

_IV_INFUSION_MINUTES: Final = 40

# Peak rise of (systolic, diastolic) over resting, in mmHg: esketamine and ketamine raise
# blood pressure for roughly the first hour, most around 30-40 minutes after dosing.
_PEAK_BP_RISE: Final[Mapping[Protocol, tuple[int, int]]] = MappingProxyType(
    {
        Protocol.SPRAVATO_REMS: (16, 9),
        Protocol.IV_KETAMINE: (12, 7),
        Protocol.IM_KETAMINE: (14, 8),
        Protocol.SUBLINGUAL_KETAMINE: (8, 5),
    }
)

_SPRAVATO = Protocol.SPRAVATO_REMS
_IV = Protocol.IV_KETAMINE
_IM = Protocol.IM_KETAMINE
_SUBLINGUAL = Protocol.SUBLINGUAL_KETAMINE


def demo_day_events(
    *,
    day: date | None = None,
    clinic_id: str = "clinic-demo",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The demo clinic day as contract-v1 event documents, in the order they are published.

    Without `now`, the day is `day` (default `DEFAULT_DAY`) on the clinic's clock, with every
    follow-up (integration notes, REMS forms) days later included. With `now` (aware), `day`
    defaults to now's date at the clinic, and the whole schedule, consents and enrolments
    included, is shifted in whole minutes so that the day's last event lies a few minutes
    before `now`; follow-ups still in the future are left out (they are pending).

    Event ids depend on `clinic_id`, `day` and the event's planned time, not on `now`:
    publishing the same day again with another `now` is a conflict, never a second copy.
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if day is None:
        day = DEFAULT_DAY if now is None else now.astimezone(CLINIC_ZONE).date()
    drafts: list[_Draft] = []
    for plan in PLANS:
        drafts.extend(_patient_drafts(plan, day=day, clinic_id=clinic_id))
        drafts.extend(_session_drafts(plan, day=day, clinic_id=clinic_id))
    if now is not None:
        drafts = _ending_before(now, drafts, day=day)
    drafts.sort(key=lambda draft: draft.at)  # stable: simultaneous events keep plan order
    return [draft.document() for draft in drafts]


# --- Drafts: events before the day is anchored and rendered ---------------------------------


@dataclass(frozen=True, kw_only=True)
class _Draft:
    """One event with an absolute time, so the whole day can be shifted before rendering."""

    event_id: str
    event_type: str
    at: datetime
    clinic_id: str
    patient_id: str
    session_id: str | None
    actor: tuple[str, ActorRole]
    source: str
    payload: Mapping[str, Any]
    """Plain JSON values, except datetimes, which are rendered on the clinic's clock."""

    def shifted(self, by: timedelta) -> _Draft:
        payload = {
            name: value + by if isinstance(value, datetime) else value
            for name, value in self.payload.items()
        }
        return replace(self, at=self.at + by, payload=payload)

    def document(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_version": 1,
            "occurred_at": _clinic_clock(self.at),
            "clinic_id": self.clinic_id,
            "patient_id": self.patient_id,
            "session_id": self.session_id,
            "actor": {"id": self.actor[0], "role": self.actor[1].value},
            "source": self.source,
            "payload": {
                name: _clinic_clock(value) if isinstance(value, datetime) else value
                for name, value in self.payload.items()
            },
        }


@dataclass(kw_only=True)
class _Stream:
    """Collects the drafts of one session, or of one patient's patient-level events."""

    clinic_id: str
    patient_id: str
    session_id: str | None
    drafts: list[_Draft] = field(default_factory=list)

    def add(
        self,
        event_type: str,
        *,
        at: datetime,
        actor: tuple[str, ActorRole],
        source: str = EHR,
        payload: Mapping[str, Any] | None = None,
    ) -> _Draft:
        # The stable name is the stream, the type and the planned local minute: unique within
        # a stream, and derived from the day, so the same day always gets the same ids.
        scope = self.session_id or f"patient/{self.patient_id}"
        name = f"{self.clinic_id}/{scope}/{event_type}@{_clinic_clock(at)}"
        draft = _Draft(
            event_id=str(uuid.uuid5(_NAMESPACE, name)),
            event_type=event_type,
            at=at,
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            session_id=self.session_id,
            actor=actor,
            source=source,
            payload=payload or {},
        )
        self.drafts.append(draft)
        return draft


def _ending_before(now: datetime, drafts: list[_Draft], *, day: date) -> list[_Draft]:
    """Shift the day so its last event lies a few minutes before `now`; drop what is to come."""
    last_of_day = max(d.at for d in drafts if d.at.astimezone(CLINIC_ZONE).date() == day)
    # Whole minutes keep every timestamp on the minute, as clinic systems record them.
    shift = timedelta(minutes=(now - _SETTLE - last_of_day) // timedelta(minutes=1))
    shifted = (draft.shifted(shift) for draft in drafts)
    return [draft for draft in shifted if draft.at <= now]


# --- Patient-level events: consent and REMS enrolment ---------------------------------------


def _patient_drafts(plan: SessionPlan, *, day: date, clinic_id: str) -> list[_Draft]:
    stream = _Stream(clinic_id=clinic_id, patient_id=plan.patient_id, session_id=None)
    if plan.lapse is Lapse.DOSE_BEFORE_CONSENT:
        # A new patient: the signed consent was missing at dosing and was only obtained
        # during the observation period, 72 minutes after the dose.
        consented_at = _first_dose_at(plan, day=day) + timedelta(minutes=72)
    else:
        intake_day = day - timedelta(days=plan.consent_days_before)
        consented_at = _at_clinic(intake_day, plan.start)
    stream.add(
        "consent.given",
        at=consented_at,
        actor=(plan.room.prescriber, ActorRole.PRESCRIBER),
        payload={
            "form_id": f"consent-{consented_at.year}-{_digits(plan.patient_id, 4)}",
            "form_version": "kap-consent-v4",
            "off_label_disclosed": True,
            "risks_discussed": True,
            "witness_id": plan.room.nurse,
        },
    )
    if plan.protocol is Protocol.SPRAVATO_REMS:
        # Enrolled at the intake visit, right after consenting: before the first treatment.
        stream.add(
            "rems.patient_enrolled",
            at=consented_at + timedelta(minutes=30),
            actor=(plan.room.prescriber, ActorRole.PRESCRIBER),
            payload={
                "program": "spravato-rems",
                "enrollment_id": f"REMS-PT-{_digits(plan.patient_id, 8)}",
            },
        )
    return stream.drafts


# --- One session ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Course:
    """When things happen in a session, in minutes after the first dose."""

    doses: tuple[tuple[int, float], ...]
    """(minute, mg) of each administration."""
    end_of_dosing: int
    """When the last dose has been fully given (an infusion ends after it starts)."""
    checks: tuple[int, ...]
    bp_checks: frozenset[int]
    discharge: int
    nausea_at: int | None = None


def _course(plan: SessionPlan) -> _Course:
    match plan.protocol:
        case Protocol.SPRAVATO_REMS:
            return _spravato_course(plan)
        case Protocol.IV_KETAMINE:
            return _iv_course(plan)
        case Protocol.IM_KETAMINE:
            return _im_course(plan)
        case Protocol.SUBLINGUAL_KETAMINE:
            return _sublingual_course(plan)


def _spravato_course(plan: SessionPlan) -> _Course:
    # Label: BP before dosing, at about 40 minutes and as warranted (here at 90 and before
    # discharge); pulse oximetry and mental status throughout; at least 2 h of monitoring.
    # The kit's two or three devices, 5 minutes apart, are recorded as one administration.
    checks = (10, 25, 40, 60, 90, 115)
    bp_checks = {40, 90, 115}
    if plan.lapse is Lapse.NO_BP_AT_40_MIN:
        # The 40-minute check happened, but without the cuff: the next BP came at 60.
        bp_checks = {60, 90, 115}
    return _Course(
        doses=((0, plan.dose_mg),),
        end_of_dosing=0,
        checks=checks,
        bp_checks=frozenset(bp_checks),
        discharge=125,
    )


def _iv_course(plan: SessionPlan) -> _Course:
    # 0.5 mg/kg over 40 minutes, then at least 60 minutes of observation after the infusion.
    observation = 35 if plan.lapse is Lapse.EARLY_DISCHARGE else 65
    return _every_10_minutes(
        doses=((0, plan.dose_mg),),
        end_of_dosing=_IV_INFUSION_MINUTES,
        discharge=_IV_INFUSION_MINUTES + observation,
    )


def _im_course(plan: SessionPlan) -> _Course:
    course = _every_10_minutes(doses=((0, plan.dose_mg),), end_of_dosing=0, discharge=80)
    if plan.lapse is Lapse.MISSED_CHECK:
        # The nurse was pulled away at the peak: 20 minutes between checks, not 10.
        checks = tuple(offset for offset in course.checks if offset != 40)
        return replace(course, checks=checks, bp_checks=frozenset(checks))
    if plan.twist is Twist.NAUSEA:
        # Nausea at the peak; the nurse re-checks 4 minutes after giving an antiemetic.
        checks = tuple(sorted({*course.checks, 26}))
        return replace(course, checks=checks, bp_checks=frozenset(checks), nausea_at=22)
    return course


def _sublingual_course(plan: SessionPlan) -> _Course:
    doses: tuple[tuple[int, float], ...] = ((0, plan.dose_mg),)
    if plan.twist is Twist.BOOSTER:
        # A half-dose booster lozenge at 25 minutes; observation counts from the booster.
        doses = (*doses, (25, plan.dose_mg / 2))
    last = doses[-1][0]
    return _every_10_minutes(doses=doses, end_of_dosing=last, discharge=last + 90)


def _every_10_minutes(
    *, doses: tuple[tuple[int, float], ...], end_of_dosing: int, discharge: int
) -> _Course:
    # Ketamine protocols: full vitals at least every 15 minutes from the first dose until
    # discharge; the clinic checks every 10, so the last check is <= 10 min before discharge.
    checks = tuple(range(10, discharge, 10))
    return _Course(
        doses=doses,
        end_of_dosing=end_of_dosing,
        checks=checks,
        bp_checks=frozenset(checks),
        discharge=discharge,
    )


def _session_drafts(plan: SessionPlan, *, day: date, clinic_id: str) -> list[_Draft]:
    room = plan.room
    nurse = (room.nurse, ActorRole.NURSE)
    monitor_source = f"vitals-monitor-{room.device}"
    stream = _Stream(clinic_id=clinic_id, patient_id=plan.patient_id, session_id=plan.session_id)
    scheduled_start = _at_clinic(day, plan.start)
    first_dose = _first_dose_at(plan, day=day)
    course = _course(plan)

    def minute(offset: float) -> datetime:
        return first_dose + timedelta(minutes=offset)

    stream.add(
        "session.scheduled",
        at=_at_clinic(day, _ROSTER_CONFIRMED),
        actor=SCHEDULER,
        payload={
            "protocol": plan.protocol.value,
            "scheduled_start": scheduled_start,
            "setting_id": room.setting_id,
        },
    )
    stream.add("session.started", at=scheduled_start + timedelta(minutes=2), actor=nurse)
    stream.add(
        "vitals.recorded",
        at=minute(-_BASELINE_BEFORE_DOSE),
        actor=room.observer,
        source=monitor_source,
        payload=_baseline(plan),
    )
    # Events are added by kind; the day is sorted by time at the end, which puts a booster
    # after the checks before it and the adverse event between its neighbouring checks.
    for offset, dose_mg in course.doses:
        stream.add(
            "dose.administered",
            at=minute(offset),
            actor=nurse,
            source=f"infusion-pump-{room.device}" if plan.protocol is _IV else EHR,
            payload=_dose(plan, dose_mg),
        )
    _add_waste(stream, plan, at=minute(2))
    for offset in course.checks:
        _add_check(stream, plan, course, offset, at=minute(offset))
    if course.nausea_at is not None:
        stream.add(
            "adverse_event.reported",
            at=minute(course.nausea_at),
            actor=nurse,
            payload={
                "severity": AdverseSeverity.MILD.value,
                "category": AdverseEventCategory.NAUSEA.value,
                "action_taken": "Ondansetron 4 mg ODT given; emesis basin offered; "
                "vitals re-checked.",
            },
        )
    discharged_at = minute(course.discharge)
    stream.add(
        "patient.discharged",
        at=discharged_at,
        actor=(room.prescriber, ActorRole.PRESCRIBER),
        payload={
            "clinically_stable": True,
            # Ketamine sessions need a responsible adult; SPRAVATO patients must not drive
            # until the next day, and some leave by taxi instead of with an escort.
            "escort_present": plan.escort or plan.protocol is not _SPRAVATO,
            "driving_advice_given": True,
        },
    )
    ended_at = discharged_at + _DISCHARGE_TO_END
    stream.add("session.ended", at=ended_at, actor=nurse)
    _add_follow_ups(stream, plan, day=day, ended_at=ended_at)
    return stream.drafts


def _add_check(
    stream: _Stream, plan: SessionPlan, course: _Course, offset: int, *, at: datetime
) -> None:
    payload = _check(plan, offset, with_bp=offset in course.bp_checks)
    typo_check = plan.twist is Twist.HEART_RATE_TYPO and offset == 30
    actual_rate = payload["heart_rate_bpm"]
    if typo_check:
        # Keyed by hand from the monitor with the two digits swapped.
        payload["heart_rate_bpm"] = int(str(actual_rate)[::-1])
    check = stream.add(
        "vitals.recorded",
        at=at,
        actor=plan.room.observer,
        source=f"vitals-monitor-{plan.room.device}",
        payload=payload,
    )
    if typo_check:
        # Never an edit: a new record that names the wrong one (21 CFR 11.10(e)).
        stream.add(
            "record.amended",
            at=at + timedelta(minutes=4),
            actor=(plan.room.nurse, ActorRole.NURSE),
            payload={
                "amends_event_id": check.event_id,
                "reason": "Heart rate keyed with transposed digits; "
                f"the monitor strip reads {actual_rate} bpm.",
                "corrected": {"heart_rate_bpm": actual_rate},
            },
        )


def _add_waste(stream: _Stream, plan: SessionPlan, *, at: datetime) -> None:
    # Injectable ketamine comes in 50 mg and 100 mg vials; what the dose leaves in the vial
    # is wasted at once in front of a second person, as the clinic requires. The pharmacist
    # prepares infusions (the nurse witnesses); the nurse draws IM doses (the pharmacist
    # witnesses).
    if plan.protocol not in (_IV, _IM):
        return
    vial_mg = 50 if plan.dose_mg < 50 else 100
    wasted_by, witness = (
        (PHARMACIST, plan.room.nurse) if plan.protocol is _IV else (plan.room.nurse, PHARMACIST)
    )
    if plan.lapse is Lapse.UNWITNESSED_WASTE:
        witness = wasted_by  # nobody else was free; the nurse signed as their own witness
    role = ActorRole.PHARMACIST if wasted_by == PHARMACIST else ActorRole.NURSE
    stream.add(
        "dose.wasted",
        at=at,
        actor=(wasted_by, role),
        payload={
            "medication": Medication.KETAMINE.value,
            "amount_mg": round(vial_mg - plan.dose_mg, 1),
            "lot_number": KETAMINE_LOT,
            "container_id": _vial(plan),
            "witness_id": witness,
        },
    )


def _add_follow_ups(stream: _Stream, plan: SessionPlan, *, day: date, ended_at: datetime) -> None:
    follow_up_day = day + timedelta(days=plan.follow_up_days)
    if plan.protocol is _SPRAVATO:
        # The Patient Monitoring Form is due within 7 days; some are sent right away.
        submitted_at = (
            ended_at + timedelta(minutes=25)
            if plan.rems_form_same_day
            else _at_clinic(follow_up_day, time(17, 30))
        )
        if plan.lapse is Lapse.LATE_REMS_FORM:
            # Forgotten until the next week's REMS paperwork round: past the 7-day window.
            submitted_at = _at_clinic(day + timedelta(days=9), time(17, 30))
        stream.add(
            "rems.monitoring_form_submitted",
            at=submitted_at,
            actor=(plan.room.prescriber, ActorRole.PRESCRIBER),
            payload={
                "form_reference": f"PMF-{day:%Y%m%d}-{_digits(plan.session_id, 4)}",
            },
        )
    # Integration therapy a few days later, in the same time slot; the note stays in the EHR
    # and only its fingerprint is recorded. It is filed under the dosing session it follows
    # up, so the session's own stream shows the note.
    noted_at = _at_clinic(follow_up_day, plan.start) + timedelta(minutes=50)
    note = f"Integration note for {plan.session_id}, written {follow_up_day.isoformat()}."
    stream.add(
        "integration_note.recorded",
        at=noted_at,
        actor=(plan.room.therapist, ActorRole.THERAPIST),
        source=THERAPY_NOTES,
        payload={
            "integrates_session_id": plan.session_id,
            "note_sha256": hashlib.sha256(note.encode("utf-8")).hexdigest(),
            "modality": "individual integration psychotherapy",
        },
    )


# --- Payloads -------------------------------------------------------------------------------


def _baseline(plan: SessionPlan) -> dict[str, Any]:
    systolic, diastolic = plan.resting_bp
    return {
        "systolic_mmhg": systolic,
        "diastolic_mmhg": diastolic,
        "heart_rate_bpm": plan.resting_hr,
        "spo2_pct": 98,
        "respiratory_rate": 14,
        "sedation": Sedation.NONE.value,
        "dissociation": False,
    }


def _check(plan: SessionPlan, offset: int, *, with_bp: bool) -> dict[str, Any]:
    effect = _drug_effect(offset)
    seed = f"{plan.session_id}/{offset}"
    # Sublingual ketamine is absorbed more slowly, so the altered state starts later.
    dissociated = 15 <= offset <= 60 if plan.protocol is _SUBLINGUAL else 5 <= offset <= 45
    payload: dict[str, Any] = {}
    if with_bp:
        rise_systolic, rise_diastolic = _PEAK_BP_RISE[plan.protocol]
        systolic, diastolic = plan.resting_bp
        payload["systolic_mmhg"] = systolic + round(rise_systolic * effect) + _jitter(seed, "sys")
        payload["diastolic_mmhg"] = (
            diastolic + round(rise_diastolic * effect) + _jitter(seed, "dia")
        )
    payload.update(
        heart_rate_bpm=plan.resting_hr + round(8 * effect) + _jitter(seed, "hr"),
        spo2_pct=97 if dissociated else 98,
        respiratory_rate=14 + _jitter(seed, "rr", spread=1),
        sedation=(Sedation.MILD if dissociated else Sedation.NONE).value,
        dissociation=dissociated,
    )
    return payload


def _drug_effect(offset: int) -> float:
    """0 to 1: how far the drug has raised blood pressure and heart rate, by minute."""
    if offset <= 40:
        return min(offset / 30, 1.0)
    return max(0.0, 1 - (offset - 40) / 70)


def _dose(plan: SessionPlan, dose_mg: float) -> dict[str, Any]:
    match plan.protocol:
        case Protocol.SPRAVATO_REMS:
            return {
                "medication": Medication.ESKETAMINE.value,
                "route": Route.INTRANASAL.value,
                "dose_mg": dose_mg,
                "lot_number": ESKETAMINE_LOT,
                "ndc": SPRAVATO_NDC[dose_mg],
            }
        case Protocol.IV_KETAMINE:
            return {
                "medication": Medication.KETAMINE.value,
                "route": Route.IV.value,
                "dose_mg": dose_mg,
                "lot_number": KETAMINE_LOT,
                "infusion_minutes": _IV_INFUSION_MINUTES,
                "patient_weight_kg": plan.weight_kg,
                "container_id": _vial(plan),
            }
        case Protocol.IM_KETAMINE:
            return {
                "medication": Medication.KETAMINE.value,
                "route": Route.IM.value,
                "dose_mg": dose_mg,
                "lot_number": KETAMINE_LOT,
                "container_id": _vial(plan),
            }
        case Protocol.SUBLINGUAL_KETAMINE:
            return {
                "medication": Medication.KETAMINE.value,
                "route": Route.SUBLINGUAL.value,
                "dose_mg": dose_mg,
                "lot_number": SUBLINGUAL_LOT,
            }


# --- Small helpers --------------------------------------------------------------------------


def _at_clinic(day: date, wall_clock: time) -> datetime:
    """The instant `wall_clock` on `day` at the clinic, in UTC (arithmetic stays exact)."""
    return datetime.combine(day, wall_clock, tzinfo=CLINIC_ZONE).astimezone(UTC)


def _clinic_clock(instant: datetime) -> str:
    """RFC 3339 on the clinic's clock, e.g. `2026-11-24T07:45:00-07:00`."""
    return instant.astimezone(CLINIC_ZONE).isoformat()


def _first_dose_at(plan: SessionPlan, *, day: date) -> datetime:
    return _at_clinic(day, plan.start) + _START_TO_FIRST_DOSE


def _vial(plan: SessionPlan) -> str:
    return f"vial-{KETAMINE_LOT}-{plan.session_id.rsplit('-', 1)[-1]}"


def _digits(seed: str, count: int) -> str:
    """`count` decimal digits derived from `seed`: stable reference numbers."""
    number = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
    return str(number % 10**count).zfill(count)


def _jitter(*parts: str, spread: int = 2) -> int:
    """A stable offset in [-spread, spread]: readings vary a little, but never between runs."""
    digest = hashlib.sha256("/".join(parts).encode("utf-8")).digest()
    return digest[0] % (2 * spread + 1) - spread
