"""The report document: what the monthly report holds, before any rendering."""

from __future__ import annotations

from events import Protocol
from projections.profiles import ProfileHistory, evolve_profile, profile_key_of
from projections.recorded import Recorded
from services.reporting import ReportFilter
from services.reporting.document import PENDING_MEANS
from services.reporting.thresholds import SettingSource
from tests.factories import document as event_document
from tests.factories import event
from tests.unit.reporting.samples import GAP_DETAIL, JUDGED_AT, NOTE_DETAIL, PERIOD, document


def test_the_rate_counts_only_decided_sessions_and_the_document_says_why() -> None:
    doc = document()

    assert doc.by_status == {"compliant": 1, "non_compliant": 1, "pending": 1, "open": 1}
    assert (doc.decided, doc.compliance_rate) == (2, 0.5)
    assert "Pending:" in PENDING_MEANS
    assert "Open:" in PENDING_MEANS


def test_pending_and_open_sessions_are_listed_with_what_they_wait_for() -> None:
    undecided = {line.session_id: line for line in document().undecided}

    assert set(undecided) == {"sess-03", "sess-04"}
    assert [n.detail for n in undecided["sess-03"].waiting] == [NOTE_DETAIL]
    assert "No session end is recorded yet" in undecided["sess-04"].waiting[0].detail


def test_weeks_and_protocols_are_broken_down_with_their_own_rates() -> None:
    doc = document()

    assert [(str(w.week_start), w.sessions) for w in doc.weeks] == [
        ("2026-11-02", 2),
        ("2026-11-09", 2),
    ]
    by_protocol = {line.protocol: line for line in doc.protocols}
    assert by_protocol["iv-ketamine"].compliance_rate == 0.5
    assert by_protocol["spravato-rems"].compliance_rate is None
    assert by_protocol["spravato-rems"].sessions == 2


def test_each_failing_session_gives_its_failed_rules_in_words() -> None:
    doc = document()

    [failing] = doc.failing
    assert (failing.session_id, failing.patient_id) == ("sess-02", "pt-sess-02")
    [failure] = failing.failures
    assert (failure.rule_id, failure.detail) == ("vitals.monitoring_interval", GAP_DETAIL)
    assert doc.failures_by_rule[0].description.startswith("Monitoring checks were never")


def test_a_filter_narrows_the_lists_but_not_the_figures_and_is_named() -> None:
    doc = document(selection=ReportFilter(status="pending"))

    assert [line.session_id for line in doc.listed] == ["sess-03"]
    assert doc.failing == ()
    assert doc.sessions == 4
    assert "status pending" in doc.running_header
    assert doc.file_name("pdf").endswith("2026-11-01-to-2026-11-30_status-pending.pdf")


def test_the_thresholds_name_each_protocols_settings_and_which_the_clinic_set() -> None:
    # Version 1 of the clinic's IV profile, in force before the report was judged.
    change = event(
        event_document(
            "profile.changed",
            clinic_id="clinic-demo",
            occurred_at="2026-10-01T08:00:00-06:00",
            payload={"protocol": "iv-ketamine", "settings": {"monitoring_max_gap_minutes": 10}},
        )
    )
    recorded = Recorded(event=change, position=1, recorded_at=change.occurred_at)
    key = profile_key_of(clinic_id="clinic-demo", protocol="iv-ketamine")
    doc = document(profiles=ProfileHistory([evolve_profile(None, recorded, key=key)]))

    by_protocol = {p.protocol: p for p in doc.thresholds}
    assert set(by_protocol) == {Protocol.IV_KETAMINE.value, Protocol.SPRAVATO_REMS.value}
    iv = {s.name: s for s in by_protocol["iv-ketamine"].settings}
    assert (iv["monitoring_max_gap_minutes"].value, iv["monitoring_max_gap_minutes"].source) == (
        "10",
        SettingSource.CLINIC,
    )
    assert iv["observation_minimum_minutes"].source is SettingSource.SHIPPED
    assert (by_protocol["iv-ketamine"].version, by_protocol["spravato-rems"].version) == ("1", "0")


def test_the_instants_are_the_periods_on_the_clinics_clock_and_the_judging_one() -> None:
    doc = document()

    assert doc.period is PERIOD
    assert doc.judged_at == JUDGED_AT
    assert doc.judged_at_local.strftime("%Y-%m-%d %H:%M %Z") == "2026-12-02 09:00 MST"
    assert doc.running_header.startswith("clinic-demo · Period 2026-11-01 to 2026-11-30")
    assert "judged at 2026-12-02 09:00 MST" in doc.running_header


def test_the_page_names_only_failing_and_undecided_patients_the_csv_every_listed_one() -> None:
    doc = document()

    assert doc.named_patients(every_session=False) == ("pt-sess-02", "pt-sess-03", "pt-sess-04")
    assert "pt-sess-01" in doc.named_patients(every_session=True)
