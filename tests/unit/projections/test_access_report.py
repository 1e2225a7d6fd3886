"""The access report's fold and its page rows: a look at the report is one line of no one."""

from __future__ import annotations

from projections import Recorded
from projections.access import build_access_report
from services.http.dashboard.access_reads import group_reads
from tests.unit.projections.builders import Log

CLINIC = "clinic-demo"


def _reads() -> list[Recorded]:
    log = Log()
    overview = {"token_name": "ben", "resource": "/clinics/clinic-demo"}
    look = {"token_name": "anna", "resource": "/clinics/clinic-demo/access"}
    return [
        log.add("access.recorded", minute=0, patient_id="pt-1", session_id=None, payload=overview),
        log.add("access.recorded", minute=0, patient_id="pt-2", session_id=None, payload=overview),
        log.add("access.recorded", minute=5, patient_id="-", session_id=None, payload=look),
    ]


def test_a_look_at_the_report_is_listed_but_counts_as_no_patients_read() -> None:
    report = build_access_report(_reads(), clinic_id=CLINIC)

    newest = report.lines[0]
    assert (newest.patient_id, newest.clinic_level) == ("-", True)
    assert sorted(line.patient_id for line in report.lines if not line.clinic_level) == [
        "pt-1",
        "pt-2",
    ]
    assert report.patients == {"pt-1": 1, "pt-2": 1}
    assert report.readers == {"ben": 2, "anna": 1}


def test_filtering_by_patient_finds_the_patients_reads_and_not_the_clinic_level_look() -> None:
    report = build_access_report(_reads(), clinic_id=CLINIC, patient_id="pt-1")

    assert [(line.token_name, line.patient_id) for line in report.lines] == [("ben", "pt-1")]


def test_the_page_shows_the_look_as_one_row_of_no_patient_and_the_overview_as_one_row() -> None:
    report = build_access_report(_reads(), clinic_id=CLINIC)

    rows = group_reads(report.lines)

    assert [(row.token_name, sorted(row.patient_ids)) for row in rows] == [
        ("anna", []),
        ("ben", ["pt-1", "pt-2"]),
    ]
