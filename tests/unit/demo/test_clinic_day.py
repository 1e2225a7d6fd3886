"""The demo clinic day: valid, deterministic, and compliant except for its planted lapses.

The rule checks below are simple re-statements of the compliance rules on the documents,
enough to show that each planted lapse is the only violation in its session.
"""

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from events import parse_event
from services.demo import DEFAULT_DAY, PLANTED_LAPSES, demo_day_events

Document = dict[str, Any]

DENVER = ZoneInfo("America/Denver")
MINUTE = timedelta(minutes=1)
KETAMINE_PROTOCOLS = {"iv-ketamine", "im-ketamine", "sublingual-ketamine"}
FOLLOW_UP_RULES = {"integration.note_within_window", "rems.monitoring_form_within_7_days"}


def occurred(document: Document) -> datetime:
    return datetime.fromisoformat(document["occurred_at"])


def has_bp(document: Document) -> bool:
    return document["event_type"] == "vitals.recorded" and "systolic_mmhg" in document["payload"]


@dataclass(frozen=True)
class Session:
    """One session's stream plus what the rules look at outside it."""

    session_id: str
    protocol: str
    events: list[Document]
    patient_events: list[Document]
    follow_ups: list[Document]

    def of_type(self, event_type: str) -> list[Document]:
        return [e for e in self.events if e["event_type"] == event_type]

    def one(self, event_type: str) -> Document:
        (found,) = self.of_type(event_type)
        return found

    @property
    def doses(self) -> list[Document]:
        return self.of_type("dose.administered")

    @property
    def first_dose_at(self) -> datetime:
        return min(occurred(dose) for dose in self.doses)

    @property
    def discharged_at(self) -> datetime:
        return occurred(self.one("patient.discharged"))

    @property
    def checks(self) -> list[Document]:
        return self.of_type("vitals.recorded")

    def bp_readings(self) -> list[Document]:
        return [check for check in self.checks if has_bp(check)]

    def minutes_after_first_dose(self, document: Document) -> float:
        return (occurred(document) - self.first_dose_at) / MINUTE


def sessions_of(documents: list[Document]) -> dict[str, Session]:
    found: dict[str, Session] = {}
    for scheduled in (d for d in documents if d["event_type"] == "session.scheduled"):
        session_id, patient_id = scheduled["session_id"], scheduled["patient_id"]
        found[session_id] = Session(
            session_id=session_id,
            protocol=scheduled["payload"]["protocol"],
            events=[d for d in documents if d["session_id"] == session_id],
            patient_events=[
                d
                for d in documents
                if d["patient_id"] == patient_id
                and d["event_type"]
                in {"consent.given", "consent.withdrawn", "rems.patient_enrolled"}
            ],
            follow_ups=[
                d
                for d in documents
                if d["event_type"] == "integration_note.recorded"
                and d["payload"]["integrates_session_id"] == session_id
            ],
        )
    return found


# --- The rules, restated simply: True means the session complies ----------------------------


def consent_before_first_dose(session: Session) -> bool:
    return any(
        e["event_type"] == "consent.given" and occurred(e) < session.first_dose_at
        for e in session.patient_events
    ) and not any(e["event_type"] == "consent.withdrawn" for e in session.patient_events)


def rems_enrolled_before_dose(session: Session) -> bool:
    return session.protocol != "spravato-rems" or any(
        e["event_type"] == "rems.patient_enrolled" and occurred(e) < session.first_dose_at
        for e in session.patient_events
    )


def baseline_before_dose(session: Session) -> bool:
    needs_spo2 = session.protocol in {"spravato-rems", "iv-ketamine"}
    window = [
        check
        for check in session.bp_readings()
        if -60 <= session.minutes_after_first_dose(check) < 0
    ]
    return any(not needs_spo2 or "spo2_pct" in check["payload"] for check in window)


def baseline_bp_in_range(session: Session) -> bool:
    for dose in session.doses:
        before = [check for check in session.bp_readings() if occurred(check) < occurred(dose)]
        last = max(before, key=occurred)["payload"]
        if last["systolic_mmhg"] > 140 or last["diastolic_mmhg"] > 90:
            return False
    return True


def bp_at_40_min(session: Session) -> bool:
    return session.protocol != "spravato-rems" or any(
        30 <= session.minutes_after_first_dose(check) <= 50 for check in session.bp_readings()
    )


def monitoring_interval(session: Session) -> bool:
    if session.protocol not in KETAMINE_PROTOCOLS:
        return True
    moments = sorted(
        {
            session.first_dose_at,
            session.discharged_at,
            *(
                occurred(check)
                for check in session.checks
                if session.first_dose_at <= occurred(check) <= session.discharged_at
            ),
        }
    )
    return all(later - earlier <= 15 * MINUTE for earlier, later in pairwise(moments))


def end_of_last_dose(session: Session) -> datetime:
    return max(
        occurred(dose) + timedelta(minutes=dose["payload"].get("infusion_minutes") or 0)
        for dose in session.doses
    )


def observation_minimum_duration(session: Session) -> bool:
    if session.protocol == "spravato-rems":
        last_dose = max(occurred(dose) for dose in session.doses)
        return session.discharged_at - last_dose >= 120 * MINUTE
    return session.discharged_at - end_of_last_dose(session) >= 60 * MINUTE


def discharge_stable_with_vitals(session: Session) -> bool:
    discharge = session.one("patient.discharged")
    return discharge["payload"]["clinically_stable"] and any(
        timedelta(0) <= session.discharged_at - occurred(check) <= 15 * MINUTE
        for check in session.bp_readings()
    )


def discharge_escort_or_no_driving(session: Session) -> bool:
    payload = session.one("patient.discharged")["payload"]
    if session.protocol == "spravato-rems":
        return bool(payload["driving_advice_given"])
    return bool(payload["escort_present"])


def waste_witnessed(session: Session) -> bool:
    return all(
        waste["payload"]["witness_id"] != waste["actor"]["id"]
        for waste in session.of_type("dose.wasted")
    )


def adverse_event_followed_by_check(session: Session) -> bool:
    return all(
        any(
            timedelta(0) < occurred(check) - occurred(event) <= 15 * MINUTE
            for check in session.checks
        )
        for event in session.of_type("adverse_event.reported")
    )


def integration_note_within_window(session: Session) -> bool:
    ended = occurred(session.one("session.ended"))
    return any(
        timedelta(0) < occurred(note) - ended <= timedelta(days=7) for note in session.follow_ups
    )


def rems_form_within_7_days(session: Session) -> bool:
    if session.protocol != "spravato-rems":
        return True
    ended = occurred(session.one("session.ended"))
    return any(
        timedelta(0) < occurred(form) - ended <= timedelta(days=7)
        for form in session.of_type("rems.monitoring_form_submitted")
    )


RULES: dict[str, Callable[[Session], bool]] = {
    "consent.before_first_dose": consent_before_first_dose,
    "rems.enrolled_before_dose": rems_enrolled_before_dose,
    "vitals.baseline_before_dose": baseline_before_dose,
    "vitals.baseline_bp_in_range": baseline_bp_in_range,
    "vitals.bp_at_40_min": bp_at_40_min,
    "vitals.monitoring_interval": monitoring_interval,
    "observation.minimum_duration": observation_minimum_duration,
    "discharge.stable_with_vitals": discharge_stable_with_vitals,
    "discharge.escort_or_no_driving": discharge_escort_or_no_driving,
    "controlled_substance.waste_witnessed": waste_witnessed,
    "adverse_event.followed_by_check": adverse_event_followed_by_check,
    "integration.note_within_window": integration_note_within_window,
    "rems.monitoring_form_within_7_days": rems_form_within_7_days,
}


def broken_rules(session: Session, *, rules: Iterable[str] = RULES) -> set[str]:
    return {rule for rule in rules if not RULES[rule](session)}


# --- Fixtures -------------------------------------------------------------------------------

LIVE_NOW = datetime(2026, 11, 24, 21, 7, 42, 123456, tzinfo=UTC)  # 14:07 at the clinic


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return demo_day_events()


@pytest.fixture(scope="module")
def sessions(documents: list[Document]) -> dict[str, Session]:
    return sessions_of(documents)


@pytest.fixture(scope="module")
def live_documents() -> list[Document]:
    return demo_day_events(now=LIVE_NOW)


# --- The documents --------------------------------------------------------------------------


def test_every_document_parses_as_a_contract_v1_event(documents: list[Document]) -> None:
    for document in documents:
        event = parse_event(json.dumps(document).encode())

        assert event.event_type == document["event_type"]


def test_documents_are_plain_json_that_survives_a_round_trip(documents: list[Document]) -> None:
    assert json.loads(json.dumps(documents)) == documents


def test_the_day_has_at_least_22_sessions_across_all_four_protocols(
    sessions: dict[str, Session],
) -> None:
    protocols = Counter(session.protocol for session in sessions.values())

    assert len(sessions) >= 22
    assert set(protocols) == {
        "spravato-rems",
        "iv-ketamine",
        "im-ketamine",
        "sublingual-ketamine",
    }


def test_every_session_runs_from_scheduling_to_end(sessions: dict[str, Session]) -> None:
    for session in sessions.values():
        order = [
            occurred(session.one("session.scheduled")),
            occurred(session.one("session.started")),
            session.first_dose_at,
            session.discharged_at,
            occurred(session.one("session.ended")),
        ]

        assert order == sorted(order), session.session_id


def test_the_same_day_gives_the_same_documents() -> None:
    assert demo_day_events() == demo_day_events(day=DEFAULT_DAY)


def test_another_day_or_clinic_gives_other_event_ids(documents: list[Document]) -> None:
    ids = {d["event_id"] for d in documents}
    other_day = {d["event_id"] for d in demo_day_events(day=date(2026, 11, 25))}
    other_clinic = {d["event_id"] for d in demo_day_events(clinic_id="clinic-boulder")}

    assert ids.isdisjoint(other_day)
    assert ids.isdisjoint(other_clinic)


def test_event_ids_are_unique(documents: list[Document]) -> None:
    ids = [d["event_id"] for d in documents]

    assert len(set(ids)) == len(ids)


def test_documents_are_in_publishing_order(documents: list[Document]) -> None:
    times = [occurred(d) for d in documents]

    assert times == sorted(times)


def test_the_demo_day_is_on_the_clinic_clock_at_minus_seven_hours(
    documents: list[Document],
) -> None:
    same_day = [d for d in documents if d["occurred_at"].startswith("2026-11-24T")]

    assert len(same_day) > 300
    assert all(d["occurred_at"].endswith("-07:00") for d in same_day)


def test_a_summer_day_carries_mountain_daylight_time() -> None:
    summer = demo_day_events(day=date(2026, 7, 14))

    assert all(
        d["occurred_at"].endswith("-06:00")
        for d in summer
        if d["occurred_at"].startswith("2026-07-14T")
    )


def test_patients_are_pseudonymous_and_staff_act_in_realistic_roles(
    documents: list[Document],
) -> None:
    roles = {(d["actor"]["id"], d["actor"]["role"]) for d in documents}

    assert all(re.fullmatch(r"pt-[0-9a-f]{6}", d["patient_id"]) for d in documents)
    assert {role for _, role in roles} == {
        "prescriber",
        "nurse",
        "monitor",
        "therapist",
        "pharmacist",
        "system",
    }
    assert all(re.fullmatch(r"[a-z]+-[a-z]+", actor) for actor, role in roles if role != "system")


def test_sources_name_the_ehr_pumps_monitors_and_the_notes_app(documents: list[Document]) -> None:
    prefixes = {re.sub(r"-[^-]*$", "", d["source"]) for d in documents}

    assert prefixes == {"ehr", "infusion-pump", "vitals-monitor", "therapy-notes"}


def test_each_patient_consents_once_and_esketamine_patients_enrol(
    sessions: dict[str, Session],
) -> None:
    for session in sessions.values():
        kinds = Counter(e["event_type"] for e in session.patient_events)
        enrolments = 1 if session.protocol == "spravato-rems" else 0

        assert kinds == Counter({"consent.given": 1, "rems.patient_enrolled": enrolments})


def test_consents_happen_days_before_the_session_except_the_planted_one(
    sessions: dict[str, Session],
) -> None:
    for session in sessions.values():
        consented = occurred(
            next(e for e in session.patient_events if e["event_type"] == "consent.given")
        )
        if PLANTED_LAPSES.get(session.session_id) == "consent.before_first_dose":
            assert consented > session.first_dose_at
        else:
            assert session.first_dose_at - consented > timedelta(days=7)


def test_iv_doses_are_half_a_milligram_per_kilogram_over_40_minutes(
    sessions: dict[str, Session],
) -> None:
    iv = [s for s in sessions.values() if s.protocol == "iv-ketamine"]

    assert iv
    for session in iv:
        payload = session.doses[0]["payload"]
        assert payload["infusion_minutes"] == 40
        assert payload["dose_mg"] == pytest.approx(0.5 * payload["patient_weight_kg"])


def test_spravato_doses_are_56_or_84_mg_with_lot_and_ndc(sessions: dict[str, Session]) -> None:
    for session in (s for s in sessions.values() if s.protocol == "spravato-rems"):
        (dose,) = session.doses
        assert dose["payload"]["medication"] == "esketamine"
        assert dose["payload"]["dose_mg"] in (56, 84)
        assert dose["payload"]["lot_number"]
        assert dose["payload"]["ndc"]


def test_every_partly_used_vial_is_wasted(sessions: dict[str, Session]) -> None:
    for session in sessions.values():
        wastes = session.of_type("dose.wasted")
        if session.protocol in {"iv-ketamine", "im-ketamine"}:
            (waste,) = wastes
            assert waste["payload"]["container_id"] == session.doses[0]["payload"]["container_id"]
        else:
            assert wastes == []


# --- Compliance and the planted lapses ------------------------------------------------------


def test_the_five_planted_lapses_each_name_their_rule() -> None:
    assert sorted(PLANTED_LAPSES.values()) == sorted(
        [
            "consent.before_first_dose",
            "vitals.bp_at_40_min",
            "observation.minimum_duration",
            "controlled_substance.waste_witnessed",
            "vitals.baseline_bp_in_range",
        ]
    )


@pytest.mark.parametrize("session_id", [f"sess-demo-{n:02d}" for n in range(1, 25)])
def test_each_session_breaks_only_its_planted_rule(
    sessions: dict[str, Session], session_id: str
) -> None:
    planted = PLANTED_LAPSES.get(session_id)

    assert broken_rules(sessions[session_id]) == ({planted} if planted else set())


def lapsed(sessions: dict[str, Session], rule: str) -> Session:
    (session_id,) = [sid for sid, planted in PLANTED_LAPSES.items() if planted == rule]
    return sessions[session_id]


def test_the_consent_lapse_is_a_new_patient_consenting_after_the_first_dose(
    sessions: dict[str, Session],
) -> None:
    session = lapsed(sessions, "consent.before_first_dose")
    consents = [e for e in session.patient_events if e["event_type"] == "consent.given"]

    assert len(consents) == 1
    assert occurred(consents[0]) > session.first_dose_at


def test_the_bp_lapse_is_a_spravato_session_without_bp_30_to_50_minutes_after_dosing(
    sessions: dict[str, Session],
) -> None:
    session = lapsed(sessions, "vitals.bp_at_40_min")
    minutes = [session.minutes_after_first_dose(check) for check in session.checks]
    bp_minutes = [session.minutes_after_first_dose(check) for check in session.bp_readings()]

    assert session.protocol == "spravato-rems"
    assert 40 in minutes  # the check happened, without the cuff
    assert not any(30 <= minute <= 50 for minute in bp_minutes)


def test_the_early_discharge_is_35_minutes_after_the_infusion_ends(
    sessions: dict[str, Session],
) -> None:
    session = lapsed(sessions, "observation.minimum_duration")

    assert session.protocol == "iv-ketamine"
    assert session.discharged_at - end_of_last_dose(session) == 35 * MINUTE


def test_the_unwitnessed_waste_names_its_own_actor_as_witness(
    sessions: dict[str, Session],
) -> None:
    (waste,) = lapsed(sessions, "controlled_substance.waste_witnessed").of_type("dose.wasted")

    assert waste["payload"]["witness_id"] == waste["actor"]["id"]


def test_the_elevated_baseline_is_152_over_95_right_before_the_dose(
    sessions: dict[str, Session],
) -> None:
    session = lapsed(sessions, "vitals.baseline_bp_in_range")
    baseline = max(
        (c for c in session.bp_readings() if occurred(c) < session.first_dose_at), key=occurred
    )

    assert (baseline["payload"]["systolic_mmhg"], baseline["payload"]["diastolic_mmhg"]) == (
        152,
        95,
    )


def test_one_compliant_session_amends_a_typo_in_an_earlier_check(
    sessions: dict[str, Session],
) -> None:
    amendments = [(s, e) for s in sessions.values() for e in s.of_type("record.amended")]

    ((session, amendment),) = amendments
    (amended,) = [
        e for e in session.events if e["event_id"] == amendment["payload"]["amends_event_id"]
    ]
    assert session.session_id not in PLANTED_LAPSES
    assert occurred(amended) < occurred(amendment)
    for name, value in amendment["payload"]["corrected"].items():
        assert amended["payload"][name] != value


def test_one_compliant_session_reports_mild_nausea_followed_by_a_check(
    sessions: dict[str, Session],
) -> None:
    reports = [(s, e) for s in sessions.values() for e in s.of_type("adverse_event.reported")]

    ((session, report),) = reports
    assert session.session_id not in PLANTED_LAPSES
    assert report["payload"]["severity"] == "mild"
    assert report["payload"]["category"] == "nausea"
    assert adverse_event_followed_by_check(session)


def test_a_booster_dose_is_preceded_by_an_in_range_blood_pressure(
    sessions: dict[str, Session],
) -> None:
    boosted = [s for s in sessions.values() if len(s.doses) > 1]

    assert len(boosted) == 1
    assert baseline_bp_in_range(boosted[0])
    assert observation_minimum_duration(boosted[0])


# --- Published live: shifted to end just before `now` --------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        LIVE_NOW,
        datetime(2026, 11, 25, 1, 10, tzinfo=DENVER),
        datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_with_now_no_event_occurs_after_now(now: datetime) -> None:
    documents = demo_day_events(now=now)

    assert documents
    assert all(occurred(d) <= now for d in documents)


def test_with_now_the_day_ends_a_few_minutes_before_now(live_documents: list[Document]) -> None:
    last = max(occurred(d) for d in live_documents)

    assert LIVE_NOW - 6 * MINUTE < last <= LIVE_NOW - 5 * MINUTE


def test_with_now_timestamps_stay_on_the_minute(live_documents: list[Document]) -> None:
    assert all(occurred(d).second == 0 for d in live_documents)


def test_with_now_session_events_are_contemporaneous(live_documents: list[Document]) -> None:
    session_events = [d for d in live_documents if d["session_id"] is not None]

    assert all(LIVE_NOW - occurred(d) < timedelta(hours=24) for d in session_events)


def test_with_now_follow_ups_still_to_come_are_left_pending(
    live_documents: list[Document], documents: list[Document]
) -> None:
    def count(docs: list[Document]) -> Counter[str]:
        return Counter(d["event_type"] for d in docs)

    assert count(live_documents)["integration_note.recorded"] == 0
    assert count(live_documents)["rems.monitoring_form_submitted"] > 0
    assert (
        count(live_documents)["rems.monitoring_form_submitted"]
        < count(documents)["rems.monitoring_form_submitted"]
    )
    assert count(live_documents)["vitals.recorded"] == count(documents)["vitals.recorded"]


def test_with_now_each_session_still_breaks_only_its_planted_rule(
    live_documents: list[Document],
) -> None:
    immediate_rules = set(RULES) - FOLLOW_UP_RULES
    for session_id, session in sessions_of(live_documents).items():
        planted = PLANTED_LAPSES.get(session_id)

        assert broken_rules(session, rules=immediate_rules) == ({planted} if planted else set())


def test_with_now_event_ids_depend_on_the_day_not_on_now(documents: list[Document]) -> None:
    live = demo_day_events(day=DEFAULT_DAY, now=LIVE_NOW + timedelta(days=3))

    assert {d["event_id"] for d in live} <= {d["event_id"] for d in documents}


def test_with_now_the_day_defaults_to_the_clinic_date_of_now() -> None:
    late_evening = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # Dec 1, 21:30 at the clinic

    assert demo_day_events(now=late_evening) == demo_day_events(
        day=date(2026, 12, 1), now=late_evening
    )


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        demo_day_events(now=datetime(2026, 11, 24, 14, 0))
