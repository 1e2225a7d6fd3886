"""data/reports/: the compliance report (CSV, HTML), REMS forms and controlled-substance log."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from services.csv_tables import REPORT_COLUMNS
from services.demo import PLANTED_LAPSES, demo_day_events
from services.exporting.rems_forms import NOT_RECORDED
from services.exporting.report_documents import ClinicReportDocuments, StreamOrderError
from services.offline.bundle_format import (
    COMPLIANCE_CSV_FILE,
    COMPLIANCE_HTML_FILE,
    CONTROLLED_SUBSTANCES_FILE,
    REMS_FILE,
)
from tests.factories import document
from tests.unit.exporting.exported_log import demo_scope, exported_log, streams

_PATIENT = "pt-outside"


def _outside_the_period() -> list[dict[str, Any]]:
    """A SPRAVATO session the day after the period, and one that began the evening before
    it with a dose after midnight: whole streams that reach beyond the period."""
    common = {"clinic_id": "clinic-demo", "patient_id": _PATIENT}
    late = {**common, "session_id": "sess-late"}
    night = {**common, "session_id": "sess-night"}
    return [
        document(
            "session.scheduled",
            **late,
            occurred_at="2026-11-25T06:30:00-07:00",
            payload={
                "protocol": "spravato-rems",
                "scheduled_start": "2026-11-25T09:00:00-07:00",
                "setting_id": "spravato-suite-1",
            },
        ),
        document(
            "dose.administered",
            **late,
            occurred_at="2026-11-25T09:15:00-07:00",
            payload={
                "medication": "esketamine",
                "route": "intranasal",
                "dose_mg": 56,
                "lot_number": "ESK-LATE",
                "infusion_minutes": None,
                "patient_weight_kg": None,
                "container_id": None,
            },
        ),
        document(
            "session.scheduled",
            **night,
            occurred_at="2026-11-23T20:00:00-07:00",
            payload={
                "protocol": "im-ketamine",
                "scheduled_start": "2026-11-23T23:30:00-07:00",
                "setting_id": "treatment-room-3",
            },
        ),
        document(
            "dose.administered",
            **night,
            occurred_at="2026-11-24T00:10:00-07:00",
            payload={
                "route": "im",
                "dose_mg": 50,
                "lot_number": "KT-NIGHT",
                "infusion_minutes": None,
                "patient_weight_kg": None,
            },
        ),
    ]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    bag = tmp_path_factory.mktemp("bag")
    documents = [*demo_day_events(), *_outside_the_period()]
    writer = ClinicReportDocuments(bag=bag, scope=demo_scope())
    for stream_id, entries in streams(exported_log(documents)).items():
        writer.add_stream(stream_id, entries)
    counts = writer.close()
    return {
        "bag": bag,
        "counts": dict(counts.counts),
        "documents": documents,
        "compliance": _rows(bag / COMPLIANCE_CSV_FILE),
        "rems": _rows(bag / REMS_FILE),
        "substances": _rows(bag / CONTROLLED_SUBSTANCES_FILE),
        "html": (bag / COMPLIANCE_HTML_FILE).read_text(encoding="utf-8"),
    }


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_the_compliance_csv_has_the_api_columns_and_catches_each_planted_lapse(
    reports: dict[str, Any],
) -> None:
    text = (reports["bag"] / COMPLIANCE_CSV_FILE).read_text(encoding="utf-8")
    assert text.splitlines()[0].split(",") == list(REPORT_COLUMNS)
    failed = {row["session_id"]: row["failed_rules"] for row in reports["compliance"]}
    assert {s: rules for s, rules in failed.items() if rules} == dict(PLANTED_LAPSES)
    assert len(failed) == 24 == reports["counts"]["report_sessions"]


def test_sessions_starting_outside_the_period_are_left_out_of_the_reports(
    reports: dict[str, Any],
) -> None:
    listed = {row["session_id"] for row in reports["compliance"]}
    assert {"sess-late", "sess-night"}.isdisjoint(listed)
    assert "sess-late" not in {row["session_id"] for row in reports["rems"]}


def test_the_rems_csv_has_one_row_per_spravato_session_starting_in_the_period(
    reports: dict[str, Any],
) -> None:
    spravato = {
        d["session_id"]
        for d in reports["documents"]
        if d["event_type"] == "session.scheduled"
        and d["payload"]["protocol"] == "spravato-rems"
        and d["session_id"] != "sess-late"
    }
    sessions = [row["session_id"] for row in reports["rems"]]
    assert sorted(sessions) == sorted(spravato)
    assert len(sessions) == 8 == reports["counts"]["rems_forms"]


def test_the_rems_form_of_a_known_session_has_the_monitoring_form_fields(
    reports: dict[str, Any],
) -> None:
    form = next(row for row in reports["rems"] if row["session_id"] == "sess-demo-01")

    assert form["treatment_date"] == "2026-11-24"
    assert form["first_administration_at"] == "2026-11-24T07:45:00-07:00"
    assert (form["dose_mg"], form["dose"]) == ("84", "84 mg")
    assert (form["lot_number"], form["ndc"]) == ("ESK26H217", "50458-028-03")
    assert form["rems_enrollment_id"].startswith("REMS-PT-")
    assert form["setting_id"] == "spravato-suite-1"
    # Checks at 10..115 min after the dose, discharge (clinically stable) at 125 min.
    assert form["minutes_to_end_of_monitoring"] == "115"
    assert form["minutes_until_ready_to_leave"] == "125"
    assert form["bp_before_dosing"] == "124/80"
    assert form["bp_at_40_min"] not in ("", None)
    assert form["bp_before_completion"] not in ("", None)
    assert form["vitals_acceptable_before_administration"] == "yes"
    assert form["vitals_acceptable_before_completion"] == "yes"
    assert (form["sedation"], form["dissociation"], form["respiratory_depression"]) == (
        "yes",
        "yes",
        "no",
    )
    assert form["monitoring_provider"] == "mon-harjo"
    assert form["discharged_by"] == "np-whitfield"
    assert form["form_reference"].startswith("PMF-20261124-")
    assert form["concomitant_benzodiazepines"] == NOT_RECORDED
    assert form["concomitant_maois"] == NOT_RECORDED


def test_a_session_without_the_40_minute_reading_shows_it_blank(
    reports: dict[str, Any],
) -> None:
    form = next(row for row in reports["rems"] if row["session_id"] == "sess-demo-05")
    assert form["bp_at_40_min"] == ""
    assert form["bp_before_dosing"] == "132/84"


def test_the_substance_log_has_one_row_per_dose_and_waste_in_the_period(
    reports: dict[str, Any],
) -> None:
    expected = {
        d["event_id"]
        for d in reports["documents"]
        if d["event_type"] in ("dose.administered", "dose.wasted")
        and d["occurred_at"].startswith("2026-11-24")
    }
    rows = reports["substances"]
    assert sorted(row["event_id"] for row in rows) == sorted(expected)
    assert len(rows) == reports["counts"]["controlled_substance_lines"]
    lots = {row["session_id"]: row["lot_number"] for row in rows}
    assert lots["sess-night"] == "KT-NIGHT", (
        "a dose in the period is listed whenever its session began"
    )
    assert "sess-late" not in lots


def test_a_waste_row_names_lot_amount_the_person_and_the_witness(
    reports: dict[str, Any],
) -> None:
    waste = next(
        row
        for row in reports["substances"]
        if row["session_id"] == "sess-demo-02" and row["kind"] == "wasted"
    )
    assert waste["lot_number"] == "KT26K045"
    assert (waste["amount_administered"], waste["amount_wasted"], waste["unit"]) == ("", "11", "mg")
    assert (waste["performed_by"], waste["witness_id"]) == ("pharm-reyes", "rn-okafor")
    assert (waste["substance"], waste["dea_schedule"]) == ("ketamine", "CIII")
    assert waste["unwitnessed"] == "false"
    dose = next(
        row
        for row in reports["substances"]
        if row["session_id"] == "sess-demo-02" and row["kind"] == "administered"
    )
    assert (dose["amount_administered"], dose["route"], dose["performed_by"]) == (
        "39",
        "iv",
        "rn-okafor",
    )
    self_witnessed = next(
        row
        for row in reports["substances"]
        if row["session_id"] == "sess-demo-08" and row["kind"] == "wasted"
    )
    assert self_witnessed["unwitnessed"] == "true"


def test_the_html_report_is_well_formed_self_contained_and_names_clinic_and_period(
    reports: dict[str, Any],
) -> None:
    html = reports["html"]
    root = ET.fromstring(html)
    text = " ".join(root.itertext())

    assert "clinic-demo" in root.findtext(
        "{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/1999/xhtml}title", ""
    )
    assert demo_scope().period.describe() in text
    assert "sess-demo-05" in text
    assert "vitals.bp_at_40_min" in text
    assert not any(element.get("src") or element.get("href") for element in root.iter()), (
        "no external assets"
    )


def test_the_clinics_own_access_stream_goes_into_no_report_document(tmp_path: Path) -> None:
    # Its stream id has no third part; bundle format 1 leaves it out, but should it come,
    # it must not stop the documents being written.
    [look] = exported_log([document("access.recorded", patient_id="-", session_id=None)])
    writer = ClinicReportDocuments(bag=tmp_path, scope=demo_scope())

    writer.add_stream("clinic-demo/access", [look.recorded])

    assert writer.close().counts


def test_a_patient_stream_after_one_of_its_sessions_is_refused(tmp_path: Path) -> None:
    by_stream = streams(exported_log(demo_day_events()))
    patient_stream = "clinic-demo/patient/pt-7f3a21"
    writer = ClinicReportDocuments(bag=tmp_path, scope=demo_scope())
    writer.add_stream(
        "clinic-demo/session/sess-demo-01", by_stream["clinic-demo/session/sess-demo-01"]
    )

    with pytest.raises(StreamOrderError, match="pt-7f3a21"):
        writer.add_stream(patient_stream, by_stream[patient_stream])


def test_a_patient_whose_streams_come_apart_is_refused_not_judged_without_consent(
    tmp_path: Path,
) -> None:
    # Only the current patient's history is held; coming back to an earlier patient would
    # judge their session without the consents that were already forgotten.
    by_stream = streams(exported_log(demo_day_events()))
    sessions = [s for s in by_stream if "/session/" in s]
    first_patient = by_stream[sessions[0]][0].event.patient_id
    other = next(s for s in sessions if by_stream[s][0].event.patient_id != first_patient)
    writer = ClinicReportDocuments(bag=tmp_path, scope=demo_scope())
    writer.add_stream(sessions[0], by_stream[sessions[0]])
    writer.add_stream(other, by_stream[other])
    with pytest.raises(StreamOrderError, match=first_patient):
        writer.add_stream(sessions[0], by_stream[sessions[0]])
