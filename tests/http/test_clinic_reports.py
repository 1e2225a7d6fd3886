"""A clinic's compliance report and controlled-substance ledger, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import httpx
import pypdfium2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from events import ACCESS_TOPIC
from services.adapters.sql import SqlEventStore
from services.csv_tables import LEDGER_COLUMNS, REPORT_COLUMNS
from services.demo import PLANTED_LAPSES
from services.http.csv_export import PERIOD_HEADER
from tests.factories import document, valid
from tests.http.serving import Api
from tests.http.support import CLINIC, NOW, published_events

REPORT = f"/v1/clinics/{CLINIC}/compliance-report"
LEDGER = f"/v1/clinics/{CLINIC}/controlled-substances"
CSV = {"Accept": "text/csv"}


async def _get(
    api: Api, path: str, *, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    response = await api.client.get(
        path, params=params, headers={**api.auth("officer"), **(headers or {})}
    )
    assert response.status_code == 200, response.text
    return response


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_the_report_counts_the_demo_days_sessions_and_names_the_failing_ones(
    api: Api,
) -> None:
    report = (await _get(api, REPORT)).json()

    assert report["sessions"] == 24
    assert report["by_status"]["non_compliant"] == len(PLANTED_LAPSES)
    assert {s["session_id"]: s["failed_rules"] for s in report["failing_sessions"]} == {
        session: [rule] for session, rule in PLANTED_LAPSES.items()
    }


async def test_the_report_as_csv_has_one_row_per_session(api: Api) -> None:
    response = await _get(api, REPORT, headers=CSV)

    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == ",".join(REPORT_COLUMNS)
    rows = _rows(response)
    assert len(rows) == 24
    failing = {row["session_id"]: row["failed_rules"] for row in rows if row["failed_rules"]}
    assert failing == PLANTED_LAPSES
    assert {row["status"] for row in rows} == {"non_compliant", "pending"}


async def test_as_of_an_instant_before_any_session_ended_no_session_had_failed(api: Api) -> None:
    report = (await _get(api, REPORT, as_of="2026-11-24T08:00:00-07:00")).json()

    assert report["by_status"]["non_compliant"] == 0
    assert report["failing_sessions"] == []


async def test_the_ledger_shows_the_waste_without_a_second_witness(api: Api) -> None:
    ledger = (await _get(api, LEDGER)).json()

    kinds = {line["kind"] for line in ledger["lines"]}
    assert kinds == {"administered", "wasted"}
    assert ledger["unwitnessed_waste_sessions"] == ["sess-demo-08"]


async def test_the_ledger_as_csv_has_one_row_per_line(api: Api) -> None:
    json_lines = (await _get(api, LEDGER)).json()["lines"]
    response = await _get(api, LEDGER, headers=CSV)

    assert response.text.splitlines()[0] == ",".join(LEDGER_COLUMNS)
    rows = _rows(response)
    assert len(rows) == len(json_lines)
    assert {row["session_id"] for row in rows if row["unwitnessed"] == "true"} == {"sess-demo-08"}
    assert {row["kind"] for row in rows} == {"administered", "wasted"}


@pytest.mark.parametrize("path", [REPORT, LEDGER])
async def test_json_is_answered_when_the_client_prefers_it_to_csv(api: Api, path: str) -> None:
    response = await _get(api, path, headers={"Accept": "application/json, text/csv;q=0.5"})

    assert response.headers["content-type"] == "application/json"


async def test_the_access_report_of_a_log_without_reads_is_empty(api: Api) -> None:
    report = (await _get(api, f"/v1/clinics/{CLINIC}/access-report")).json()

    assert (report["clinic_id"], report["lines"], report["readers"]) == (CLINIC, [], {})


async def test_a_clinic_id_no_clinic_can_have_is_refused_naming_it(api: Api) -> None:
    response = await api.client.get(
        f"/v1/clinics/{'c' * 65}/compliance-report", headers=api.auth("admin")
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "clinic_id"


async def test_the_access_report_filters_by_outcome_and_leaves_out_the_excluded_reader(
    api: Api, engine: AsyncEngine
) -> None:
    day = (NOW - timedelta(hours=12)).date().isoformat()
    documents = [
        document(
            "access.recorded",
            occurred_at=(NOW - timedelta(hours=hours)).isoformat(),
            patient_id=patient,
            session_id=f"sess-{patient}",
            payload={"token_name": reader, "outcome": outcome},
        )
        for hours, patient, reader, outcome in (
            (1, "pt-1", "officer", "allowed"),
            (2, "pt-2", "mallory", "denied"),
        )
    ]
    await SqlEventStore(engine=engine).record(
        valid=[valid(d) for d in documents], invalid=[], recorded_at=NOW
    )
    path = f"/v1/clinics/{CLINIC}/access-report"

    others = (await _get(api, path, exclude_reader="officer", **{"from": day, "to": day})).json()
    denied = (await _get(api, path, outcome="denied", **{"from": day, "to": day})).json()

    assert [line["token_name"] for line in others["lines"]] == ["mallory"]
    assert others["excluded_reader"] == "officer"
    assert [(line["token_name"], line["outcome"]) for line in denied["lines"]] == [
        ("mallory", "denied")
    ]
    assert denied["outcome"] == "denied"


async def test_a_bad_as_of_of_the_report_is_refused_with_422_naming_it(api: Api) -> None:
    response = await api.client.get(
        REPORT, params={"as_of": "12/01/2026"}, headers=api.auth("officer")
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "as_of"


async def test_an_as_of_without_offset_is_read_on_the_clinics_clock(api: Api) -> None:
    # The demo clinic is in Denver: 08:00 there is 15:00 UTC.
    local = (await _get(api, REPORT, as_of="2026-11-24T08:00")).json()
    explicit = (await _get(api, REPORT, as_of="2026-11-24T08:00:00-07:00")).json()

    assert local["as_of"] == explicit["as_of"]
    assert local["by_status"] == explicit["by_status"]


async def test_the_report_as_pdf_is_a_pdf_download_named_after_the_period(api: Api) -> None:
    response = await _get(api, REPORT, headers={"Accept": "application/pdf"})

    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="clinic-demo-compliance-report-')
    assert response.headers[PERIOD_HEADER].endswith("Z)")
    pages = pypdfium2.PdfDocument(response.content)
    text = "".join(pages[i].get_textpage().get_text_range() for i in range(len(pages)))
    assert 2 <= len(pages) <= 8, "a demo day's report is a few pages, not a ream"
    assert all(session in text for session in PLANTED_LAPSES)


async def test_the_report_as_html_allows_only_its_own_style(api: Api) -> None:
    response = await _get(api, REPORT, format="html")

    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!DOCTYPE html>")
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert "Failing sessions (" in response.text
    assert PERIOD_HEADER in response.headers


async def test_a_format_parameter_wins_over_the_accept_header(api: Api) -> None:
    response = await _get(api, REPORT, headers=CSV, format="json")

    assert response.headers["content-type"] == "application/json"


async def test_the_pdf_report_records_a_read_of_each_patient_it_names(api: Api) -> None:
    report = (await _get(api, REPORT)).json()
    await _get(api, REPORT, format="pdf")

    reads = [
        event
        for event in await published_events(api.bootstrap_servers, topics=(ACCESS_TOPIC,))
        if event["payload"]["query"].get("format") == "pdf"
    ]
    failing = {s["patient_id"] for s in report["failing_sessions"]}
    assert failing <= {event["patient_id"] for event in reads}
    assert {event["payload"]["channel"] for event in reads} == {"api"}


async def test_opening_the_access_report_publishes_one_look_not_one_read_per_patient_listed(
    api: Api, engine: AsyncEngine
) -> None:
    documents = [
        document(
            "access.recorded",
            occurred_at=(NOW - timedelta(hours=1)).isoformat(),
            patient_id=patient,
            session_id=None,
            payload={"token_name": "ben"},
        )
        for patient in ("pt-1", "pt-2", "pt-3")
    ]
    await SqlEventStore(engine=engine).record(
        valid=[valid(d) for d in documents], invalid=[], recorded_at=NOW
    )
    path = f"/v1/clinics/{CLINIC}/access-report"
    # A filter no other test gives tells this look from theirs on the shared broker.
    marker = f"nobody-{uuid.uuid4()}"

    report = (await _get(api, path, exclude_reader=marker)).json()
    narrowed = (await _get(api, path, exclude_reader=marker, patient_id="pt-2")).json()

    assert set(report["patients"]) >= {"pt-1", "pt-2", "pt-3"}
    assert [line["patient_id"] for line in narrowed["lines"]] == ["pt-2"]
    looks = [
        event
        for event in await published_events(api.bootstrap_servers, topics=(ACCESS_TOPIC,))
        if event["payload"]["query"].get("exclude_reader") == marker
    ]
    assert sorted(
        (event["patient_id"], event.get("session_id"), event["schema_version"]) for event in looks
    ) == [("-", None, 3), ("pt-2", None, 3)]
    assert {event["payload"]["resource"] for event in looks} == {f"GET {path}"}
