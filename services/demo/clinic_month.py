"""Four weeks of the demo clinic, ending now: a patient panel on its treatment courses.

The month is what a compliance officer opens kapaudit for: weekly trends, rates and a report
that mean something. Its sessions come from a panel of about forty patients, each on a
course the way KAP clinics run them: SPRAVATO induction twice a week for four weeks, then
weekly, then every other week (label); IV ketamine as a series of six infusions over two
weeks, then boosters every few weeks; IM and sublingual sessions weekly or fortnightly.
New patients consent (and enrol in the SPRAVATO REMS) at an intake visit days before their
first session. Weekdays are busy, Saturday mornings light, Sundays closed; staff rotate.

Almost every session is documented compliantly; a handful carry a planted lapse, one rule
each (`DemoMonth.planted_lapses`), on sessions old enough that every deadline has passed.
The last few days' sessions are pending: their integration notes and REMS forms are not
due yet and lie in the future, so they are left out, as is everything after `now`.

Sessions are drafted by the demo day's code, so both read alike. Everything is derived from
a fixed seed and the clinic's calendar date of `now`: the same day gives the same documents
and event ids, so publishing the month twice is a conflict, never a copy.

Each event also gets the instant it is recorded (`DemoBatch.record_at`), shortly after it
happened: replayed through a recorder whose clock is set to these instants, the month reads
as if kapaudit had recorded it live (the rules judge how late records were entered).
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final

from events.enums import ActorRole, Protocol
from services.demo.clinic_day import (
    _at_clinic,
    _check,
    _Draft,
    _patient_drafts,
    _session_drafts,
)
from services.demo.clinic_day_roster import CLINIC_ZONE, Lapse, Room, SessionPlan, Twist

__all__ = ["DEMO_MONTH_DAYS", "DemoBatch", "DemoMonth", "demo_month", "demo_month_events"]

DEMO_MONTH_DAYS: Final = 28
"""Four whole weeks: every weekly bucket of a report over the month holds clinic days."""

# Fixed forever: changing it changes the panel, and so every month's sessions.
_SEED: Final = "kapaudit-demo-month-v1"

# Planted lapses lie on sessions at least this old, so that even a late form's 7-day
# window has closed and the lapse is decided, not pending.
_LAPSE_MIN_AGE: Final = timedelta(days=10)
# A record entered late (the LATE_RECORD lapse) reaches the system this much later.
_LATE_ENTRY: Final = timedelta(days=2, hours=3)
# The recorder writes what happened within this many hours in one go (one replayed batch):
# records reach it within hours, never the 24 h that would make them late.
_BATCH_HOURS: Final = 4
_RECORD_DELAY: Final = timedelta(minutes=3)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoBatch:
    """Events the recorder writes at one instant, `record_at`, after all of them happened."""

    record_at: datetime
    documents: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoMonth:
    """The month as it stands at `now`: what to publish, in batches, and what was planted."""

    now: datetime
    first_day: date
    batches: tuple[DemoBatch, ...]
    session_ids: tuple[str, ...]
    """Every session with at least one event by `now`, in order of scheduled start."""
    planted_lapses: Mapping[str, str]
    """session_id -> the id of the one rule its planted lapse violates."""

    @property
    def documents(self) -> list[dict[str, Any]]:
        return [document for batch in self.batches for document in batch.documents]


def demo_month_events(
    *, now: datetime, days: int = DEMO_MONTH_DAYS, clinic_id: str = "clinic-demo"
) -> list[dict[str, Any]]:
    """The month's contract-v1 event documents, in the order they are published."""
    return demo_month(now=now, days=days, clinic_id=clinic_id).documents


def demo_month(
    *, now: datetime, days: int = DEMO_MONTH_DAYS, clinic_id: str = "clinic-demo"
) -> DemoMonth:
    """The `days` clinic days ending with `now`'s date at the clinic, cut at `now` (aware)."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if days < 7:
        raise ValueError("a demo month spans at least a week")
    today = now.astimezone(CLINIC_ZONE).date()
    first_day = today - timedelta(days=days - 1)
    rng = random.Random(f"{_SEED}/{clinic_id}/{today.isoformat()}")
    panel = _panel(rng, first_day=first_day, today=today, clinic_id=clinic_id)
    plans = _allocate(rng, panel, first_day=first_day, today=today, now=now)
    planted = _plant_lapses(rng, plans, panel=panel, now=now)
    plans = [_with_twist(rng, dated) if dated.plan.lapse is None else dated for dated in plans]

    entries: list[tuple[datetime, _Draft]] = []
    for patient in panel:
        first = _first_plan(patient, plans)
        if first is None:
            continue
        for draft in _patient_drafts(first.plan, day=first.day, clinic_id=clinic_id):
            entries.append((draft.at, draft))
    for dated in plans:
        for draft in _session_drafts(dated.plan, day=dated.day, clinic_id=clinic_id):
            late = (
                dated.plan.lapse is Lapse.LATE_RECORD and draft.event_type == "patient.discharged"
            )
            entries.append((draft.at + _LATE_ENTRY if late else draft.at, draft))
    present = [(entered, draft) for entered, draft in entries if entered <= now]
    sessions = {draft.session_id for _, draft in present if draft.session_id is not None}
    return DemoMonth(
        now=now,
        first_day=first_day,
        batches=tuple(_batches(present, now=now)),
        session_ids=tuple(d.plan.session_id for d in plans if d.plan.session_id in sessions),
        planted_lapses=MappingProxyType(
            {session_id: lapse.value for session_id, lapse in sorted(planted.items())}
        ),
    )


# --- The panel: who is on which course --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Patient:
    patient_id: str
    protocol: Protocol
    dates: tuple[date, ...]
    """Every treatment day of the course up to today, before the month too."""
    intake_days_before: int
    """Days from the intake visit (consent, REMS enrolment) to the first treatment."""
    resting_bp: tuple[int, int]
    resting_hr: int
    weight_kg: int | None
    dose_mg: float
    """The usual dose; SPRAVATO's first dose is always 56 mg, ketamine's may step up."""
    escort: bool
    consent_late: bool = False
    """The planted consent lapse: a new patient dosed before the consent was signed."""


_MON, _TUE, _WED, _THU, _FRI, _SAT = range(6)
# The course (below) of the new IM patient dosed before signing the consent: their first
# session lies in the month's second week, so the lapse is always in the month and decided.
_LATE_CONSENT_COURSE: Final = 24


def _panel(rng: random.Random, *, first_day: date, today: date, clinic_id: str) -> list[_Patient]:
    # Weeks are counted from the Monday of the month's first week; a course that started
    # weeks before the month has a negative start week.
    monday = first_day - timedelta(days=first_day.weekday())

    def on(week: int, weekday: int) -> date:
        return monday + timedelta(weeks=week, days=weekday)

    def spravato_induction(start: int, pair: tuple[int, int]) -> list[date]:
        # Label: twice weekly in weeks 1-4, weekly in weeks 5-8, then every other week.
        dates = [on(start + w, d) for w in range(4) for d in pair]
        dates += [on(start + w, pair[0]) for w in range(4, 8)]
        return dates + [on(start + w, pair[0]) for w in range(9, 14, 2)]

    def iv_series(start: int) -> list[date]:
        # Six infusions over two weeks (Mon/Wed/Fri), then a booster every four weeks.
        dates = [on(start + w, d) for w in range(2) for d in (_MON, _WED, _FRI)]
        return dates + [on(start + w, _WED) for w in range(5, 14, 4)]

    def every(weeks: int, weekday: int, *, start: int) -> list[date]:
        return [on(w, weekday) for w in range(start, 5, weeks)]

    courses: list[tuple[Protocol, list[date], bool]] = [
        # (protocol, treatment days, new to the clinic this month)
        (Protocol.SPRAVATO_REMS, spravato_induction(-3, (_MON, _THU)), False),
        (Protocol.SPRAVATO_REMS, spravato_induction(-2, (_TUE, _FRI)), False),
        (Protocol.SPRAVATO_REMS, spravato_induction(-1, (_MON, _THU)), False),
        (Protocol.SPRAVATO_REMS, spravato_induction(0, (_TUE, _FRI)), True),
        (Protocol.SPRAVATO_REMS, spravato_induction(1, (_MON, _THU)), True),
        (Protocol.SPRAVATO_REMS, spravato_induction(2, (_TUE, _FRI)), True),
        (Protocol.SPRAVATO_REMS, spravato_induction(3, (_WED, _FRI)), True),
        (Protocol.SPRAVATO_REMS, every(1, _WED, start=-20), False),
        (Protocol.SPRAVATO_REMS, every(1, _SAT, start=-30), False),
        (Protocol.SPRAVATO_REMS, every(1, _SAT, start=-12), False),
        (Protocol.SPRAVATO_REMS, every(2, _TUE, start=-25), False),
        (Protocol.SPRAVATO_REMS, every(2, _THU, start=-40), False),
        (Protocol.SPRAVATO_REMS, every(1, _MON, start=-16), False),
        (Protocol.IV_KETAMINE, iv_series(-1), False),
        (Protocol.IV_KETAMINE, iv_series(0), True),
        (Protocol.IV_KETAMINE, iv_series(1), True),
        (Protocol.IV_KETAMINE, iv_series(2), True),
        (Protocol.IV_KETAMINE, iv_series(3), True),
        (Protocol.IV_KETAMINE, iv_series(-6), False),
        (Protocol.IV_KETAMINE, iv_series(-9), False),
        (Protocol.IV_KETAMINE, every(3, _TUE, start=-17), False),
        (Protocol.IV_KETAMINE, every(4, _THU, start=-26), False),
        (Protocol.IM_KETAMINE, every(1, _MON, start=-8), False),
        (Protocol.IM_KETAMINE, every(1, _WED, start=-5), False),
        (Protocol.IM_KETAMINE, every(1, _THU, start=1), True),
        (Protocol.IM_KETAMINE, every(1, _TUE, start=0), True),
        (Protocol.IM_KETAMINE, every(2, _FRI, start=-9), False),
        (Protocol.IM_KETAMINE, every(2, _MON, start=-3), False),
        (Protocol.IM_KETAMINE, every(2, _SAT, start=-14), False),
        (Protocol.IM_KETAMINE, every(1, _FRI, start=2), True),
        (Protocol.SUBLINGUAL_KETAMINE, every(1, _TUE, start=-6), False),
        (Protocol.SUBLINGUAL_KETAMINE, every(1, _THU, start=-11), False),
        (Protocol.SUBLINGUAL_KETAMINE, every(2, _WED, start=-4), False),
        (Protocol.SUBLINGUAL_KETAMINE, every(2, _MON, start=-13), False),
        (Protocol.SUBLINGUAL_KETAMINE, every(1, _FRI, start=1), True),
        (Protocol.SUBLINGUAL_KETAMINE, every(2, _THU, start=0), True),
        (Protocol.SPRAVATO_REMS, every(1, _TUE, start=-22), False),
        (Protocol.SPRAVATO_REMS, every(1, _THU, start=-18), False),
        (Protocol.SPRAVATO_REMS, every(2, _WED, start=-33), False),
        (Protocol.IV_KETAMINE, every(3, _MON, start=-20), False),
        (Protocol.IV_KETAMINE, every(4, _FRI, start=-30), False),
        (Protocol.IM_KETAMINE, every(1, _WED, start=-2), False),
        (Protocol.IM_KETAMINE, every(2, _TUE, start=-7), False),
        (Protocol.SUBLINGUAL_KETAMINE, every(1, _MON, start=-9), False),
        (Protocol.SUBLINGUAL_KETAMINE, every(2, _FRI, start=-5), False),
    ]
    panel: list[_Patient] = []
    for index, (protocol, dates, new) in enumerate(courses):
        systolic, diastolic = rng.randint(110, 130), rng.randint(70, 82)
        weight = rng.randint(54, 104) if protocol is Protocol.IV_KETAMINE else None
        panel.append(
            _Patient(
                # Stable from one day to the next, unlike the sessions: a store that holds
                # an earlier month knows these patients.
                patient_id=f"pt-{_hex(f'{_SEED}/{clinic_id}/{index}', 6)}",
                protocol=protocol,
                dates=tuple(d for d in sorted(dates) if d <= today),
                intake_days_before=rng.randint(5, 16) if new else rng.randint(10, 40),
                resting_bp=(systolic, diastolic),
                resting_hr=rng.randint(60, 80),
                weight_kg=weight,
                dose_mg=_usual_dose(rng, protocol, weight),
                escort=rng.random() < 0.6,
                # One new IM patient, whose first session lies well inside the month.
                consent_late=index == _LATE_CONSENT_COURSE,
            )
        )
    return [p for p in panel if any(first_day <= d <= today for d in p.dates)]


def _hex(seed: str, count: int) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:count]


def _usual_dose(rng: random.Random, protocol: Protocol, weight_kg: int | None) -> float:
    match protocol:
        case Protocol.SPRAVATO_REMS:
            return rng.choice((56.0, 84.0, 84.0))
        case Protocol.IV_KETAMINE:
            assert weight_kg is not None
            return 0.5 * weight_kg
        case Protocol.IM_KETAMINE:
            return float(rng.choice((45, 50, 55, 60, 65, 70)))
        case Protocol.SUBLINGUAL_KETAMINE:
            return float(rng.choice((150, 200, 200, 250, 300)))


# --- Rooms and slots: who is treated where and when ---------------------------------------


# Start times that never double-book a room: a SPRAVATO session takes about 2 h 25 min,
# IV 2 h, IM 1 h 40 min, sublingual 2 h (as on the demo day). Saturdays: mornings only.
_SLOTS: Final[Mapping[str, tuple[time, ...]]] = MappingProxyType(
    {
        "spravato-suite-1": (time(7, 30), time(10, 0), time(12, 30), time(15, 0)),
        "spravato-suite-2": (time(8, 0), time(10, 30), time(13, 0), time(15, 30)),
        "infusion-room-1": (time(7, 30), time(9, 45), time(12, 15), time(14, 45)),
        "infusion-room-2": (time(8, 15), time(10, 45), time(13, 30)),
        "treatment-room-3": (time(7, 45), time(9, 45), time(11, 45), time(13, 45), time(15, 45)),
        "treatment-room-4": (time(8, 0), time(10, 30), time(13, 0), time(15, 30)),
    }
)
_SATURDAY_SLOTS: Final = 2

_ROOMS_OF: Final[Mapping[Protocol, tuple[str, ...]]] = MappingProxyType(
    {
        Protocol.SPRAVATO_REMS: ("spravato-suite-1", "spravato-suite-2"),
        Protocol.IV_KETAMINE: ("infusion-room-1", "infusion-room-2"),
        Protocol.IM_KETAMINE: ("treatment-room-3",),
        Protocol.SUBLINGUAL_KETAMINE: ("treatment-room-4",),
    }
)


def _rooms(day: date) -> dict[str, Room]:
    """The rooms and the team working in each on `day`: staff rotate through the week."""
    turn = day.toordinal()
    spravato_nurse = ("rn-tsosie", "rn-haddad")[turn % 2]
    monitors = (("mon-harjo", "mon-delacroix"), ("mon-delacroix", "mon-osei"))[turn % 2]
    infusion_nurses = (
        ("rn-okafor", "rn-lindqvist"),
        ("rn-lindqvist", "rn-ferreira"),
        ("rn-ferreira", "rn-okafor"),
    )[turn % 3]
    physician = ("dr-castellano", "dr-iyer")[turn // 2 % 2]
    nurse_practitioner = ("np-whitfield", "np-brandt")[turn % 2]
    spravato_therapist = ("th-nakamura", "th-oyelaran")[turn % 2]
    rooms = [
        Room(
            setting_id=f"spravato-suite-{n}",
            device=f"sp{n}",
            nurse=spravato_nurse,
            prescriber=nurse_practitioner,
            therapist=spravato_therapist,
            observer=(monitors[n - 1], ActorRole.MONITOR),
        )
        for n in (1, 2)
    ] + [
        Room(
            setting_id=f"infusion-room-{n}",
            device=f"ir{n}",
            nurse=infusion_nurses[n - 1],
            prescriber=physician,
            therapist="th-moreau",
            observer=(infusion_nurses[n - 1], ActorRole.NURSE),
        )
        for n in (1, 2)
    ]
    im_nurse = ("rn-abernathy", "rn-quispe")[turn % 2]
    sublingual_nurse = ("rn-marsh", "rn-yazzie")[turn // 2 % 2]
    rooms += [
        Room(
            setting_id="treatment-room-3",
            device="tr3",
            nurse=im_nurse,
            prescriber=physician,
            therapist="th-begay",
            observer=(im_nurse, ActorRole.NURSE),
        ),
        Room(
            setting_id="treatment-room-4",
            device="tr4",
            nurse=sublingual_nurse,
            prescriber=nurse_practitioner,
            therapist="th-alvarado",
            observer=(sublingual_nurse, ActorRole.NURSE),
        ),
    ]
    return {room.setting_id: room for room in rooms}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Dated:
    """One session plan and its day."""

    day: date
    plan: SessionPlan
    patient: _Patient


def _allocate(
    rng: random.Random, panel: list[_Patient], *, first_day: date, today: date, now: datetime
) -> list[_Dated]:
    by_day: dict[date, list[_Patient]] = defaultdict(list)
    for patient in panel:
        for day in patient.dates:
            if day >= first_day:
                by_day[day].append(patient)
    dated: list[_Dated] = []
    for day in sorted(by_day):
        rooms = _rooms(day)
        free = {
            room: list(slots[:_SATURDAY_SLOTS] if day.weekday() == _SAT else slots)
            for room, slots in _SLOTS.items()
        }
        booked: list[tuple[time, str, _Patient]] = []
        for patient in sorted(by_day[day], key=lambda p: p.patient_id):
            # Patients book the time that suits them among the free ones; a full day turns
            # the patient away (they come another week), which the panel is sized to avoid.
            slots = [(r, t) for r in _ROOMS_OF[patient.protocol] for t in free[r]]
            if not slots:
                continue
            room, start = rng.choice(slots)
            free[room].remove(start)
            booked.append((start, room, patient))
        for number, (start, room, patient) in enumerate(sorted(booked), start=1):
            session_id = f"sess-{day:%y%m%d}{number:02d}"
            dated.append(
                _Dated(
                    day=day,
                    plan=_plan(
                        rng, patient, session_id=session_id, room=rooms[room], day=day, start=start
                    ),
                    patient=patient,
                )
            )
    # Sessions whose booking lies ahead of `now` (early in the morning) do not exist yet.
    return [d for d in dated if _at_clinic(d.day, time(6, 30)) <= now]


def _plan(
    rng: random.Random, patient: _Patient, *, session_id: str, room: Room, day: date, start: time
) -> SessionPlan:
    nth = patient.dates.index(day)
    dose = patient.dose_mg
    weight = patient.weight_kg
    if patient.protocol is Protocol.SPRAVATO_REMS and nth == 0:
        dose = 56.0  # label: the first induction dose is 56 mg
    elif patient.protocol is Protocol.IM_KETAMINE and nth >= 3:
        dose += 5  # titrated up once the patient knows the experience
    if weight is not None:
        weight += rng.choice((-1, 0, 0, 1))  # weighed at every visit
        dose = 0.5 * weight
    systolic, diastolic = patient.resting_bp
    follow_up = rng.randint(1, 5)
    if (day + timedelta(days=follow_up)).weekday() == 6:
        follow_up += 1  # therapists do not see patients on Sundays
    return SessionPlan(
        session_id=session_id,
        patient_id=patient.patient_id,
        protocol=patient.protocol,
        room=room,
        start=start,
        dose_mg=dose,
        weight_kg=None if weight is None else float(weight),
        resting_bp=(systolic + rng.randint(-4, 6), diastolic + rng.randint(-3, 4)),
        resting_hr=patient.resting_hr + rng.randint(-4, 4),
        consent_days_before=patient.intake_days_before,
        escort=patient.escort,
        follow_up_days=follow_up,
        rems_form_same_day=rng.random() < 0.5,
    )


def _first_plan(patient: _Patient, plans: list[_Dated]) -> _Dated | None:
    """A plan for the patient's first treatment, which the intake visit precedes; None for
    a patient with no session by now.

    For a course that began before the month it is re-made for that earlier day, only to
    date the consent; its session is not part of the month.
    """
    mine = [d for d in plans if d.patient is patient]
    if not mine:
        return None
    first = replace(mine[0], day=patient.dates[0])
    lapse = Lapse.DOSE_BEFORE_CONSENT if patient.consent_late else None
    intake = first.day - timedelta(days=patient.intake_days_before)
    if intake.weekday() == 6:
        intake -= timedelta(days=2)  # no intake visits on Sundays
    plan = replace(first.plan, consent_days_before=(first.day - intake).days, lapse=lapse)
    return replace(first, plan=plan)


# --- Lapses and twists ---------------------------------------------------------------------


# Each lapse and the protocols it can happen in; one session each.
_LAPSES: Final[tuple[tuple[Lapse, frozenset[Protocol]], ...]] = (
    (Lapse.NO_BP_AT_40_MIN, frozenset({Protocol.SPRAVATO_REMS})),
    (Lapse.LATE_REMS_FORM, frozenset({Protocol.SPRAVATO_REMS})),
    (Lapse.MISSED_CHECK, frozenset({Protocol.IM_KETAMINE})),
    (Lapse.EARLY_DISCHARGE, frozenset({Protocol.IV_KETAMINE})),
    (Lapse.UNWITNESSED_WASTE, frozenset({Protocol.IM_KETAMINE, Protocol.IV_KETAMINE})),
    (Lapse.LATE_RECORD, frozenset({Protocol.SUBLINGUAL_KETAMINE, Protocol.IV_KETAMINE})),
)


def _plant_lapses(
    rng: random.Random, plans: list[_Dated], *, panel: list[_Patient], now: datetime
) -> dict[str, Lapse]:
    """Plant each lapse on one old enough session, in place; session_id -> lapse."""
    old_enough = [
        i
        for i, d in enumerate(plans)
        if _at_clinic(d.day, d.plan.start) <= now - _LAPSE_MIN_AGE and not d.patient.consent_late
    ]
    planted: dict[str, Lapse] = {}
    for lapse, protocols in _LAPSES:
        candidates = [i for i in old_enough if plans[i].plan.protocol in protocols]
        candidates = [i for i in candidates if plans[i].plan.session_id not in planted]
        if not candidates:
            continue
        index = rng.choice(candidates)
        plan = plans[index].plan
        if lapse is Lapse.LATE_REMS_FORM:
            plan = replace(plan, rems_form_same_day=False)
        plans[index] = replace(plans[index], plan=replace(plan, lapse=lapse))
        planted[plan.session_id] = lapse
    for index, dated in enumerate(plans):
        # The intake visit was skipped: the consent is signed during the first session.
        if dated.patient.consent_late and dated.day == dated.patient.dates[0]:
            plans[index] = replace(dated, plan=replace(dated.plan, lapse=Lapse.DOSE_BEFORE_CONSENT))
            planted[dated.plan.session_id] = Lapse.DOSE_BEFORE_CONSENT
    return planted


def _with_twist(rng: random.Random, dated: _Dated) -> _Dated:
    """Now and then something out of the ordinary, still documented compliantly."""
    plan = dated.plan
    roll = rng.random()
    if roll >= 0.08:
        return dated
    twist: Twist | None = None
    if plan.protocol is Protocol.IM_KETAMINE:
        twist = Twist.NAUSEA
    elif plan.protocol is Protocol.IV_KETAMINE and _typo_is_plausible(plan):
        twist = Twist.HEART_RATE_TYPO
    elif plan.protocol is Protocol.SUBLINGUAL_KETAMINE:
        # The reading before a booster is still raised by the first lozenge: only a patient
        # well under the 140/90 limit is given one.
        systolic, diastolic = plan.resting_bp
        if systolic <= 124 and diastolic <= 80:
            twist = Twist.BOOSTER
    return dated if twist is None else replace(dated, plan=replace(plan, twist=twist))


def _typo_is_plausible(plan: SessionPlan) -> bool:
    # The typo swaps the digits of the 30-minute heart rate: 78 becomes 87, but 70 would
    # become 7, which no monitor shows and the contract refuses.
    rate = str(_check(plan, 30, with_bp=True)["heart_rate_bpm"])
    return rate[::-1] != rate and int(rate[::-1]) >= 40


# --- Batches: when the recorder writes what ------------------------------------------------


def _batches(entries: list[tuple[datetime, _Draft]], *, now: datetime) -> Iterator[DemoBatch]:
    groups: dict[tuple[date, int], list[tuple[datetime, _Draft]]] = defaultdict(list)
    for entered, draft in entries:
        local = entered.astimezone(CLINIC_ZONE)
        groups[(local.date(), local.hour // _BATCH_HOURS)].append((entered, draft))
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda pair: (pair[0], pair[1].at))
        record_at = min(group[-1][0] + _RECORD_DELAY, now)
        yield DemoBatch(
            record_at=record_at, documents=tuple(draft.document() for _, draft in group)
        )
