"""The controlled-substance ledger and the clinic report, folded from histories."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from events import MAX_DOSE_MG
from projections import SESSIONS, fold
from projections.compliance import (
    Outcome,
    RuleResult,
    SessionStatus,
    SessionVerdict,
    load_profile,
)
from projections.ledger import build_ledger
from projections.reports import build_clinic_report, compliance_rate
from projections.verdicts import PROTOCOL_RECORDED, judge
from services.bodies.ledger import SubstanceTotals
from tests.unit.projections.builders import T0, Log

DAY = timedelta(days=1)


def test_the_ledger_lists_each_dose_and_waste_and_totals_them_by_lot() -> None:
    log = Log()
    events = [
        log.add("dose.administered", minute=10, session_id="s-1", payload={"lot_number": "L1"}),
        log.add(
            "dose.wasted",
            minute=20,
            session_id="s-1",
            payload={"lot_number": "L1", "amount_mg": 4.0, "witness_id": "rn-2"},
        ),
        log.add("dose.administered", minute=15, session_id="s-2", payload={"lot_number": "L2"}),
    ]
    sessions = fold(SESSIONS, {}, events).values()
    ledger = build_ledger(sessions, clinic_id="clinic-demo", start=T0, end=T0 + DAY, as_of=T0 + DAY)
    assert [line.kind for line in ledger.lines] == ["administered", "administered", "wasted"]
    dose = events[0].event.payload.dose_mg  # type: ignore[union-attr]
    assert ledger.by_lot[("ketamine", "L1")].wasted_mg == 4.0
    assert ledger.by_lot[("ketamine", "L1")].administered_mg == dose
    assert ledger.unwitnessed_waste_sessions == ()


def test_a_waste_witnessed_by_the_person_who_wasted_it_is_flagged() -> None:
    log = Log()
    waste = log.add("dose.wasted", minute=20, session_id="s-9")
    self_witnessed = log.add(
        "dose.wasted",
        minute=25,
        session_id="s-10",
        payload={"witness_id": waste.event.actor.id},
    )
    ledger = build_ledger(
        fold(SESSIONS, {}, [waste, self_witnessed]).values(),
        clinic_id="clinic-demo",
        start=T0,
        end=T0 + DAY,
        as_of=T0 + DAY,
    )
    assert ledger.unwitnessed_waste_sessions == ("s-10",)


def test_the_ledger_keeps_to_its_period_and_what_was_recorded_by_as_of() -> None:
    log = Log()
    events = [
        log.add("dose.administered", minute=10, session_id="s-1"),
        log.add("dose.administered", minute=60 * 30, session_id="s-1"),
        log.add(
            "dose.administered", minute=20, session_id="s-2", recorded_after=timedelta(hours=5)
        ),
    ]
    ledger = build_ledger(
        fold(SESSIONS, {}, events).values(),
        clinic_id="clinic-demo",
        start=T0,
        end=T0 + DAY,
        as_of=T0 + timedelta(hours=2),
    )
    assert [line.event_id for line in ledger.lines] == [events[0].event_id]


def _verdict(session_id: str, status: SessionStatus, *failed: str) -> SessionVerdict:
    return SessionVerdict(
        session_id=session_id,
        clinic_id="clinic-demo",
        patient_id="pt-1",
        protocol=None,
        status=status,
        as_of=T0 + DAY,
        rules=tuple(
            RuleResult(rule_id=rule, outcome=Outcome.FAIL, evidence=(), detail="")
            for rule in failed
        ),
    )


def test_the_clinic_report_counts_statuses_failures_by_rule_and_weeks() -> None:
    verdicts = [
        (_verdict("a", SessionStatus.COMPLIANT), T0),
        (_verdict("b", SessionStatus.NON_COMPLIANT, "vitals.bp_at_40_min"), T0),
        (
            _verdict(
                "c", SessionStatus.NON_COMPLIANT, "vitals.bp_at_40_min", "consent.before_first_dose"
            ),
            T0 + 7 * DAY,
        ),
        (_verdict("d", SessionStatus.PENDING), T0 + 7 * DAY),
    ]
    report = build_clinic_report(
        verdicts, clinic_id="clinic-demo", start=T0, end=T0 + 14 * DAY, as_of=T0 + 14 * DAY
    )
    assert report.sessions == 4
    assert report.by_status == {"compliant": 1, "non_compliant": 2, "pending": 1, "open": 0}
    assert report.failures_by_rule == {"vitals.bp_at_40_min": 2, "consent.before_first_dose": 1}
    assert [s.session_id for s in report.failing_sessions] == ["b", "c"]
    assert [(w.sessions, w.compliance_rate) for w in report.weeks] == [(2, 0.5), (2, 0.0)]
    assert report.compliance_rate == 1 / 3


def test_the_compliance_rate_counts_only_decided_sessions() -> None:
    assert compliance_rate([SessionStatus.OPEN, SessionStatus.PENDING]) is None
    assert compliance_rate([SessionStatus.COMPLIANT, SessionStatus.OPEN]) == 1.0


def test_a_session_that_ended_without_a_protocol_fails_for_that_reason() -> None:
    log = Log()
    events = [
        log.add("session.started", minute=0, session_id="s-x"),
        log.add("session.ended", minute=90, session_id="s-x"),
    ]
    session = fold(SESSIONS, {}, events)["s-x"]

    def no_profile(protocol: object) -> object:
        raise AssertionError("no profile applies without a protocol")

    ended = judge(session=session, patient=None, profile_for=no_profile, as_of=T0 + DAY)  # type: ignore[arg-type]
    during = judge(
        session=session,
        patient=None,
        profile_for=no_profile,  # type: ignore[arg-type]
        as_of=T0 + timedelta(minutes=30),
    )
    assert (ended.status, ended.rules[0].rule_id) == (
        SessionStatus.NON_COMPLIANT,
        PROTOCOL_RECORDED,
    )
    assert during.status is SessionStatus.OPEN


def test_a_session_without_a_protocol_cites_its_own_events_not_a_later_sessions_note() -> None:
    log = Log()
    own = [
        log.add("session.started", minute=0, session_id="s-x"),
        log.add("session.ended", minute=90, session_id="s-x"),
    ]
    note = log.add(
        "integration_note.recorded",
        minute=60 * 24 * 2,
        session_id="therapy-x",
        payload={"integrates_session_id": "s-x"},
    )
    session = fold(SESSIONS, {}, [*own, note])["s-x"]

    verdict = judge(session=session, patient=None, profile_for=load_profile, as_of=T0 + 3 * DAY)

    assert verdict.rules[0].evidence == tuple(r.event_id for r in own)


def test_a_waste_the_rule_fails_for_a_case_and_space_variant_of_the_id_is_flagged() -> None:
    log = Log()
    booking = log.add("session.scheduled", minute=-30, session_id="s-12")
    waste = log.add("dose.wasted", minute=20, session_id="s-11")
    actor = waste.event.actor.id
    disguised = log.add(
        "dose.wasted",
        minute=25,
        session_id="s-12",
        payload={"witness_id": f" {actor.upper()} "},
    )
    histories = fold(SESSIONS, {}, [booking, waste, disguised])
    ledger = build_ledger(
        histories.values(), clinic_id="clinic-demo", start=T0, end=T0 + DAY, as_of=T0 + DAY
    )
    verdict = judge(
        session=histories["s-12"],
        patient=None,
        profile_for=load_profile,
        as_of=T0 + DAY,
    )
    assert ledger.unwitnessed_waste_sessions == ("s-12",)
    assert verdict.result("controlled_substance.waste_witnessed").outcome is Outcome.FAIL


def test_ledger_totals_are_exact_decimals_of_the_amounts_as_sent() -> None:
    log = Log()
    events = [
        log.add(
            "dose.wasted",
            minute=20 + i,
            session_id="s-1",
            payload={"lot_number": "L1", "amount_mg": amount},
        )
        for i, amount in enumerate([0.1, 0.2])
    ]
    ledger = build_ledger(
        fold(SESSIONS, {}, events).values(),
        clinic_id="clinic-demo",
        start=T0,
        end=T0 + DAY,
        as_of=T0 + DAY,
    )
    assert ledger.by_lot[("ketamine", "L1")].wasted_mg == Decimal("0.3")


def test_the_largest_valid_doses_in_any_number_total_to_a_finite_exact_sum() -> None:
    log = Log()
    doses = [
        log.add(
            "dose.administered",
            minute=i,
            session_id=f"s-{i % 7}",
            payload={"lot_number": "L1", "dose_mg": MAX_DOSE_MG},
        )
        for i in range(2_000)
    ]
    ledger = build_ledger(
        fold(SESSIONS, {}, doses).values(),
        clinic_id="clinic-demo",
        start=T0 - DAY,
        end=T0 + 3 * DAY,
        as_of=T0 + 3 * DAY,
    )
    totals = ledger.by_medication["ketamine"]
    assert totals.administered_mg == Decimal(2_000 * MAX_DOSE_MG)
    body = SubstanceTotals.model_validate(totals, from_attributes=True)
    assert json.loads(body.model_dump_json())["total_mg"] == 2_000 * MAX_DOSE_MG
