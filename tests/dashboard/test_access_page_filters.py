"""The access report an officer can read: filters by reader, outcome and date, a switch
that hides the officer's own reads, and refused reads marked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore
from tests.dashboard.conftest import Dashboard
from tests.factories import document, valid
from tests.http.support import CLINIC, NOW

PAGE = f"/clinics/{CLINIC}/access"
DAY = (NOW - timedelta(hours=12)).date().isoformat()


@pytest.fixture
async def reads(engine: AsyncEngine, dashboard: Dashboard) -> Dashboard:
    """Three reads of the day: the officer's own, ben's, and a refused one by mallory."""
    documents = [
        document(
            "access.recorded",
            occurred_at=(NOW - timedelta(hours=hours)).isoformat(),
            patient_id=patient,
            session_id=f"sess-{patient}",
            payload={"token_name": reader, "outcome": outcome, "resource": f"GET /r/{reader}"},
        )
        for hours, patient, reader, outcome in (
            (1, "pt-1", "officer", "allowed"),
            (2, "pt-1", "ben", "allowed"),
            (3, "pt-2", "mallory", "denied"),
        )
    ]
    await SqlEventStore(engine=engine).record(
        valid=[valid(d) for d in documents], invalid=[], recorded_at=NOW
    )
    return dashboard


def _readers(html: str) -> list[str]:
    return re.findall(r"<code>GET /r/([^<?]+)", html)


async def test_the_hide_my_own_reads_switch_leaves_out_the_signed_in_officers_reads(
    reads: Dashboard,
) -> None:
    everyone = await reads.get(f"{PAGE}?from={DAY}&to={DAY}", as_token="officer")
    others = await reads.get(f"{PAGE}?from={DAY}&to={DAY}&hide_mine=1", as_token="officer")

    assert _readers(everyone.text) == ["officer", "ben", "mallory"]
    assert _readers(others.text) == ["ben", "mallory"]
    assert 'name="hide_mine" value="1" checked' in others.text
    assert "without the reads of officer" in others.text


async def test_the_reader_and_outcome_filters_narrow_the_reads(reads: Dashboard) -> None:
    by_ben = await reads.get(f"{PAGE}?from={DAY}&to={DAY}&token_name=ben", as_token="officer")
    denied = await reads.get(f"{PAGE}?from={DAY}&to={DAY}&outcome=denied", as_token="officer")

    assert _readers(by_ben.text) == ["ben"]
    assert _readers(denied.text) == ["mallory"]
    assert '<option value="denied" selected>' in denied.text


async def test_a_denied_read_is_highlighted_and_an_allowed_one_is_not(reads: Dashboard) -> None:
    page = await reads.get(f"{PAGE}?from={DAY}&to={DAY}", as_token="officer")

    rows = re.findall(r'<tr class="outcome-(\w+)">(.*?)</tr>', page.text, flags=re.S)
    marked = {outcome for outcome, row in rows if 'class="badge badge-fail">denied' in row}
    assert [outcome for outcome, _ in rows] == ["allowed", "allowed", "denied"]
    assert marked == {"denied"}


async def test_a_day_without_reads_shows_none(reads: Dashboard) -> None:
    before = (NOW - timedelta(days=5)).date().isoformat()

    page = await reads.get(f"{PAGE}?from={before}&to={before}", as_token="officer")

    assert page.status_code == 200
    assert _readers(page.text) == []
    assert "No reads in this period." in page.text


async def test_an_unknown_outcome_is_a_400_page_and_nothing_is_read(reads: Dashboard) -> None:
    page = await reads.get(f"{PAGE}?outcome=maybe", as_token="officer")

    assert page.status_code == 400
    assert reads.auditor.allowed == []


async def test_opening_the_report_records_one_clinic_level_look_not_one_per_patient_shown(
    reads: Dashboard,
) -> None:
    page = await reads.get(f"{PAGE}?from={DAY}&to={DAY}&outcome=allowed", as_token="officer")

    assert page.status_code == 200
    [look] = reads.auditor.allowed
    assert (look["clinic_id"], look["patient_ids"], look["session_id"]) == (CLINIC, ("-",), None)
    assert (look["resource"], look["query"]) == (
        PAGE,
        {"from": DAY, "to": DAY, "outcome": "allowed"},
    )
    assert look["principal"].name == "officer"


async def test_the_report_narrowed_to_a_patient_is_one_read_of_that_patient(
    reads: Dashboard,
) -> None:
    page = await reads.get(f"{PAGE}?from={DAY}&to={DAY}&patient_id=pt-1", as_token="officer")

    assert _readers(page.text) == ["officer", "ben"]
    assert [look["patient_ids"] for look in reads.auditor.allowed] == [("pt-1",)]


async def test_a_recorded_look_at_the_report_shows_as_one_row_of_no_patient(
    engine: AsyncEngine, reads: Dashboard
) -> None:
    look = document(
        "access.recorded",
        occurred_at=(NOW - timedelta(hours=4)).isoformat(),
        patient_id="-",
        session_id=None,
        payload={"token_name": "anna", "resource": "GET /r/anna"},
    )
    await SqlEventStore(engine=engine).record(valid=[valid(look)], invalid=[], recorded_at=NOW)

    page = await reads.get(f"{PAGE}?from={DAY}&to={DAY}", as_token="officer")

    assert _readers(page.text) == ["officer", "ben", "mallory", "anna"]
    assert "none (access report)" in page.text
    assert "3 patient records disclosed" in page.text
