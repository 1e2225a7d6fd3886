"""The OpenAPI document describes the read side's JSON bodies key for key, and the models
it is generated from are what the API serves."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

from projections.access import AccessLine, AccessReport
from projections.compliance import SessionStatus
from projections.ledger import Ledger, LedgerLine, SubstanceTotals
from projections.reports import ClinicReport, FailingSession, WeekTrend
from projections.timeline import AmendmentNote, Timeline, TimelineEntry
from services.bodies.access import AccessReport as AccessReportBody
from services.bodies.common import ExactOut, PeriodOut
from services.bodies.ledger import ControlledSubstanceLedger
from services.bodies.report import ComplianceReport
from services.bodies.timeline import SessionTimeline
from services.http import api
from services.period import Period

pytestmark = pytest.mark.memory_ports

AT: Final = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)

JSON_READS: Final = (
    "/v1/sessions/{session_id}/timeline",
    "/v1/clinics/{clinic_id}/compliance-report",
    "/v1/clinics/{clinic_id}/controlled-substances",
    "/v1/clinics/{clinic_id}/access-report",
)
"""The reads whose bodies are built from the read side's dataclasses."""


def _document() -> dict[str, Any]:
    """The v1 routes' part of what ``create_app`` serves at /openapi.json; no stack needed."""
    app = FastAPI()
    app.include_router(api.router)
    return app.openapi()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def _json_body(document: dict[str, Any], path: str) -> dict[str, Any]:
    answer = document["paths"][path]["get"]["responses"]["200"]
    return _resolve(document, answer["content"]["application/json"]["schema"])


@pytest.mark.parametrize("path", JSON_READS)
def test_each_json_read_documents_every_key_as_required_and_no_other(path: str) -> None:
    body = _json_body(_document(), path)

    assert body["type"] == "object"
    assert body["properties"]
    assert set(body["required"]) == set(body["properties"])
    assert body["additionalProperties"] is False


def test_the_timeline_documents_its_entries_down_to_each_event_id() -> None:
    document = _document()
    timeline = _json_body(document, "/v1/sessions/{session_id}/timeline")
    entry = _resolve(document, timeline["properties"]["entries"]["items"])

    assert {"session_id", "as_of", "entries"} <= set(timeline["properties"])
    assert entry["properties"]["event_id"]["type"] == "string"
    assert "event_id" in entry["required"]
    assert {"type": "null"} in entry["properties"]["original_summary"]["anyOf"]


@pytest.mark.parametrize(
    "path",
    ["/v1/clinics/{clinic_id}/compliance-report", "/v1/clinics/{clinic_id}/controlled-substances"],
)
def test_the_csv_reports_still_document_their_csv_alternative(path: str) -> None:
    content = _document()["paths"][path]["get"]["responses"]["200"]["content"]

    assert content["text/csv"] == {"schema": {"type": "string"}}


def _timeline() -> Timeline:
    note = AmendmentNote(
        event_id="e-9",
        recorded_at=AT + timedelta(hours=2),
        occurred_at=AT + timedelta(hours=1),
        author="rn-1 (nurse)",
        reason="transposed digits",
        corrected={"systolic": 128, "note": None},
    )
    entry = TimelineEntry(
        event_id="e-1",
        event_type="vitals.recorded",
        scope="session",
        occurred_at=AT,
        recorded_at=AT + timedelta(minutes=30),
        position=7,
        actor_id="rn-1",
        actor_role="nurse",
        source="ehr",
        summary="BP 128/80",
        original_summary="BP 182/80",
        amendments=(note,),
        rejected_amendments=("amends a field the event does not have",),
    )
    return Timeline(
        session_id="s-1",
        clinic_id="c-1",
        patient_id="p-1",
        protocol="spravato-rems",
        as_of=AT,
        entries=(entry,),
    )


def _report() -> ClinicReport:
    counts = {status.value: 1 for status in SessionStatus}
    failing = FailingSession(
        session_id="s-1",
        patient_id="p-1",
        protocol=None,
        session_start=None,
        failed_rules=("vitals.bp_at_40_min",),
    )
    week = WeekTrend(
        week_start=date(2026, 11, 23), sessions=4, by_status=counts, compliance_rate=0.5
    )
    return ClinicReport(
        clinic_id="c-1",
        start=AT - timedelta(days=7),
        end=AT,
        as_of=AT,
        sessions=4,
        by_status=counts,
        by_protocol={"spravato-rems": counts, "unknown": counts},
        compliance_rate=None,
        failures_by_rule={"vitals.bp_at_40_min": 1},
        failing_sessions=(failing,),
        weeks=(week,),
    )


def _ledger() -> Ledger:
    waste = LedgerLine(
        event_id="e-2",
        kind="wasted",
        occurred_at=AT,
        recorded_at=AT,
        clinic_id="c-1",
        session_id="s-1",
        patient_id="p-1",
        medication="ketamine",
        amount_mg=12.5,
        lot_number="LOT-7",
        route=None,
        actor_id="rn-1",
        witness_id="rn-1",
        amended=True,
    )
    totals = SubstanceTotals(administered_mg=50.0, wasted_mg=12.5)
    return Ledger(
        clinic_id="c-1",
        start=AT - timedelta(days=7),
        end=AT,
        as_of=AT,
        lines=(waste,),
        by_lot={("ketamine", "LOT-7"): totals},
        by_medication={"ketamine": totals},
    )


def _access_report() -> AccessReport:
    line = AccessLine(
        event_id="e-3",
        occurred_at=AT,
        recorded_at=AT,
        token_name="anna",
        role="compliance_officer",
        channel="api",
        resource="GET /v1/clinics/c-1/access-report",
        query={"from": "2026-11-01"},
        outcome="denied",
        patient_id="p-1",
        session_id=None,
    )
    return AccessReport(clinic_id="c-1", patient_id=None, token_name="anna", lines=(line,))


PERIOD: Final = Period.of_days(
    date(2026, 11, 17), date(2026, 11, 24), zone=ZoneInfo("America/Denver")
)


TIMELINE_BODY: Final[dict[str, Any]] = {
    "session_id": "s-1",
    "clinic_id": "c-1",
    "patient_id": "p-1",
    "protocol": "spravato-rems",
    "as_of": "2026-11-24T17:00:00+00:00",
    "entries": [
        {
            "event_id": "e-1",
            "event_type": "vitals.recorded",
            "scope": "session",
            "occurred_at": "2026-11-24T17:00:00+00:00",
            "recorded_at": "2026-11-24T17:30:00+00:00",
            "position": 7,
            "actor_id": "rn-1",
            "actor_role": "nurse",
            "source": "ehr",
            "summary": "BP 128/80",
            "original_summary": "BP 182/80",
            "amendments": [
                {
                    "event_id": "e-9",
                    "recorded_at": "2026-11-24T19:00:00+00:00",
                    "occurred_at": "2026-11-24T18:00:00+00:00",
                    "author": "rn-1 (nurse)",
                    "reason": "transposed digits",
                    "corrected": {"systolic": 128, "note": None},
                }
            ],
            "rejected_amendments": ["amends a field the event does not have"],
        }
    ],
}

REPORT_BODY: Final[dict[str, Any]] = {
    "clinic_id": "c-1",
    "start": "2026-11-17T17:00:00+00:00",
    "end": "2026-11-24T17:00:00+00:00",
    "as_of": "2026-11-24T17:00:00+00:00",
    "sessions": 4,
    "by_status": {"compliant": 1, "non_compliant": 1, "pending": 1, "open": 1},
    "by_protocol": {
        "spravato-rems": {"compliant": 1, "non_compliant": 1, "pending": 1, "open": 1},
        "unknown": {"compliant": 1, "non_compliant": 1, "pending": 1, "open": 1},
    },
    "compliance_rate": None,
    "failures_by_rule": {"vitals.bp_at_40_min": 1},
    "failing_sessions": [
        {
            "session_id": "s-1",
            "patient_id": "p-1",
            "protocol": None,
            "session_start": None,
            "failed_rules": ["vitals.bp_at_40_min"],
            "profile_version": None,
        }
    ],
    "weeks": [
        {
            "week_start": "2026-11-23",
            "sessions": 4,
            "by_status": {"compliant": 1, "non_compliant": 1, "pending": 1, "open": 1},
            "compliance_rate": 0.5,
        }
    ],
    "profile_versions": {},
}

LEDGER_BODY: Final[dict[str, Any]] = {
    "clinic_id": "c-1",
    "start": "2026-11-17T17:00:00+00:00",
    "end": "2026-11-24T17:00:00+00:00",
    "as_of": "2026-11-24T17:00:00+00:00",
    "lines": [
        {
            "event_id": "e-2",
            "kind": "wasted",
            "occurred_at": "2026-11-24T17:00:00+00:00",
            "recorded_at": "2026-11-24T17:00:00+00:00",
            "clinic_id": "c-1",
            "session_id": "s-1",
            "patient_id": "p-1",
            "medication": "ketamine",
            "amount_mg": 12.5,
            "lot_number": "LOT-7",
            "route": None,
            "actor_id": "rn-1",
            "witness_id": "rn-1",
            "amended": True,
            "unwitnessed": True,
        }
    ],
    "by_lot": {"ketamine/LOT-7": {"administered_mg": 50.0, "wasted_mg": 12.5, "total_mg": 62.5}},
    "by_medication": {"ketamine": {"administered_mg": 50.0, "wasted_mg": 12.5, "total_mg": 62.5}},
    "unwitnessed_waste_sessions": ["s-1"],
}

ACCESS_REPORT_BODY: Final[dict[str, Any]] = {
    "clinic_id": "c-1",
    "patient_id": None,
    "token_name": "anna",
    "outcome": None,
    "excluded_reader": None,
    "lines": [
        {
            "event_id": "e-3",
            "occurred_at": "2026-11-24T17:00:00+00:00",
            "recorded_at": "2026-11-24T17:00:00+00:00",
            "token_name": "anna",
            "role": "compliance_officer",
            "channel": "api",
            "resource": "GET /v1/clinics/c-1/access-report",
            "query": {"from": "2026-11-01"},
            "outcome": "denied",
            "patient_id": "p-1",
            "session_id": None,
            "clinic_level": False,
        }
    ],
    "patients": {"p-1": 1},
    "readers": {"anna": 1},
}
"""Each answer's body as the API has always written it (before the models, through a
serialiser that wrote every field and property of the dataclasses)."""


@pytest.mark.parametrize(
    ("answer", "model", "with_period", "expected"),
    [
        pytest.param(_timeline(), SessionTimeline, False, TIMELINE_BODY, id="timeline"),
        pytest.param(_report(), ComplianceReport, True, REPORT_BODY, id="compliance-report"),
        pytest.param(_ledger(), ControlledSubstanceLedger, True, LEDGER_BODY, id="ledger"),
        pytest.param(
            _access_report(), AccessReportBody, True, ACCESS_REPORT_BODY, id="access-report"
        ),
    ],
)
def test_the_documented_model_reads_and_rewrites_a_fully_populated_answer_unchanged(
    answer: object,
    model: type[ExactOut],
    with_period: bool,
    expected: dict[str, Any],
) -> None:
    # Every optional part is filled in, so that nothing the served data happens to lack
    # (an amendment, a waste, a recorded read) goes unchecked. The clinic reads add the
    # period they answered, as services.http.api.clinics does.
    extra = {"period": PeriodOut.of(PERIOD)} if with_period else {}
    body = model.from_read_model(answer, **extra).model_dump_json()
    document = {**expected, "period": PERIOD.as_json()} if with_period else expected

    assert json.loads(body) == document
    assert model.model_validate_json(body, strict=True).model_dump(mode="json") == json.loads(body)
