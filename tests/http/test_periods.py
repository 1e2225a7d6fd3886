"""Periods in the API: whole days at the clinic, both included, and the exact instants said."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import both_stores
from tests.http.serving import Api
from tests.http.support import CLINIC

# Served from the memory ports (tests/http/conftest.py), but for the tests about the
# SQL dialect (both_stores), which ask for sql_api.
pytestmark = pytest.mark.memory_ports

DAY = "2026-11-24"
"""The demo day, on the demo clinic's clock (America/Denver)."""

DAY_INSTANTS = {
    "start": "2026-11-24T07:00:00+00:00",
    "end": "2026-11-25T07:00:00+00:00",
    "time_zone": "America/Denver",
    "local_start": "2026-11-24T00:00:00-07:00",
    "local_end": "2026-11-25T00:00:00-07:00",
    "description": "2026-11-24 00:00 to 2026-11-25 00:00 America/Denver "
    "(2026-11-24T07:00:00Z/2026-11-25T07:00:00Z)",
}


async def _get(api: Api, path: str, **params: Any) -> Any:
    response = await api.client.get(path, params=params, headers=api.auth("officer"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_date_as_to_includes_that_whole_day_at_the_clinic(api: Api) -> None:
    page = await _get(api, "/v1/sessions", clinic_id=CLINIC, **{"from": DAY, "to": DAY})

    assert page["total"] == 24
    assert page["period"] == DAY_INSTANTS


async def test_every_clinic_read_says_the_exact_period_it_answered(api: Api) -> None:
    for what in ("compliance-report", "controlled-substances", "access-report"):
        body = await _get(api, f"/v1/clinics/{CLINIC}/{what}", **{"from": DAY, "to": DAY})
        assert body["period"] == DAY_INSTANTS, what


async def test_the_report_of_the_day_counts_its_sessions_where_it_counted_none_before(
    api: Api,
) -> None:
    report = await _get(api, f"/v1/clinics/{CLINIC}/compliance-report", **{"from": DAY, "to": DAY})

    assert report["sessions"] == 24
    assert (report["start"], report["end"]) == (DAY_INSTANTS["start"], DAY_INSTANTS["end"])


# The edge is compared in SQL: timestamptz on PostgreSQL, naive UTC text on SQLite.
@both_stores
async def test_instants_with_an_offset_still_bound_the_period_exactly(sql_api: Api) -> None:
    api = sql_api  # the dialect matters here: never the memory ports
    day = await _get(api, "/v1/sessions", clinic_id=CLINIC, **{"from": DAY, "to": DAY})
    starts = sorted({item["session_start"] for item in day["items"]})
    first, second = starts[0], starts[1]

    page = await _get(api, "/v1/sessions", clinic_id=CLINIC, **{"from": first, "to": second})

    # ``to`` as an instant is excluded, as it always was.
    assert {item["session_start"] for item in page["items"]} == {first}
    assert page["period"]["end"] == datetime.fromisoformat(second).astimezone(UTC).isoformat()


async def test_a_csv_is_named_by_its_days_and_says_its_exact_period_in_a_header(api: Api) -> None:
    response = await api.client.get(
        f"/v1/clinics/{CLINIC}/controlled-substances",
        params={"from": DAY, "to": DAY},
        headers={**api.auth("officer"), "Accept": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["Kapaudit-Period"] == DAY_INSTANTS["description"]
    assert (
        f'filename="{CLINIC}-controlled-substances-{DAY}-to-{DAY}.csv"'
        in (response.headers["Content-Disposition"])
    )
