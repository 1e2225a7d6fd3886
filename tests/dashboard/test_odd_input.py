"""Odd addresses get the dashboard's own error page, never a 500.

Periods, instants and identifiers follow the API's rules: instants in the years 1900 to
2999, periods of at most 366 days, identifiers a database could hold (1 to 64
characters, no NUL; clinic ids without '/').
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import both_stores
from tests.dashboard.conftest import Dashboard

LONG_ID = "x" * 65


def heading_and_message(html: str) -> tuple[str, str]:
    """The error page's title and message, as the reader sees them."""
    heading = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", html, re.DOTALL)
    assert heading is not None, html
    return heading.group(1), heading.group(2)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/overview?from=0001-01-01&to=9999-12-31", "to: &#39;9999-12-31&#39; is outside"),
        ("/overview?from=0001-01-01&to=2026-11-25", "from: &#39;0001-01-01&#39; is outside"),
        ("/clinics/clinic-demo/ledger?to=9999-12-31", "to: &#39;9999-12-31&#39; is outside"),
        ("/clinics/clinic-demo/access?to=9999-12-31", "to: &#39;9999-12-31&#39; is outside"),
        ("/sessions/sess-demo-05?to=9999-12-31", "to: &#39;9999-12-31&#39; is outside"),
    ],
)
async def test_a_day_outside_the_years_1900_to_2999_is_a_400_page_naming_the_field(
    dashboard: Dashboard, path: str, problem: str
) -> None:
    response = await dashboard.get(path, as_token="officer")

    assert response.status_code == 400
    title, message = heading_and_message(response.text)
    assert title == "This address is not valid"
    assert message.startswith(problem)
    assert "the years 1900 to 2999" in message


async def test_a_period_longer_than_366_days_is_a_400_page_naming_the_period_and_the_limit(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get("/overview?from=2000-01-01&to=2026-11-25", as_token="officer")

    assert response.status_code == 400
    title, message = heading_and_message(response.text)
    assert title == "This address is not valid"
    assert "2000-01-01 to 2026-11-25" in message
    assert "at most 366 days" in message
    assert dashboard.auditor.allowed == []


@pytest.mark.parametrize(
    ("from_day", "to", "status"),
    [("2025-11-25", "2026-11-25", 200), ("2025-11-24", "2026-11-25", 400)],
)
async def test_a_period_of_366_days_is_shown_and_one_of_367_days_is_not(
    dashboard: Dashboard, from_day: str, to: str, status: int
) -> None:
    for path in ("/overview", "/clinics/clinic-demo/ledger", "/clinics/clinic-demo/access"):
        response = await dashboard.get(f"{path}?from={from_day}&to={to}", as_token="officer")
        assert response.status_code == status, path


@pytest.mark.parametrize(
    ("token", "path", "problem"),
    [
        ("officer", "/clinics/clinic-demo/access?patient_id=%00", "patient_id: &#39;\\x00&#39;"),
        ("officer", f"/clinics/clinic-demo/access?patient_id={LONG_ID}", "patient_id: &#39;xxx"),
        ("officer", "/clinics/clinic-demo/access?token_name=%00", "token_name: &#39;\\x00&#39;"),
        ("admin", "/overview?clinic=%00", "clinic: &#39;\\x00&#39; is not a clinic id"),
        ("admin", "/overview?clinic=a/b", "clinic: &#39;a/b&#39; is not a clinic id"),
        ("admin", f"/overview?clinic={LONG_ID}", "clinic: &#39;xxx"),
        ("admin", "/clinics/%00/ledger", "clinic_id: &#39;\\x00&#39; is not a clinic id"),
        ("admin", "/clinics/%00/access", "clinic_id: &#39;\\x00&#39; is not a clinic id"),
        ("officer", "/clinics/%00/ledger", "clinic_id: &#39;\\x00&#39; is not a clinic id"),
    ],
)
async def test_an_identifier_no_database_could_hold_is_a_400_page_naming_the_field(
    dashboard: Dashboard, token: str, path: str, problem: str
) -> None:
    response = await dashboard.get(path, as_token=token)

    assert response.status_code == 400
    title, message = heading_and_message(response.text)
    assert title == "This address is not valid"
    assert message.startswith(problem)
    assert dashboard.auditor.allowed == []


# On SQLite an unchecked impossible id is merely not found; on PostgreSQL, a NUL is an error:
# only PostgreSQL shows that these ids are refused before any query.
@both_stores
@pytest.mark.parametrize("impossible", ["%00", "sess%00demo-05", LONG_ID])
async def test_an_impossible_session_id_is_refused_exactly_like_a_missing_session(
    dashboard: Dashboard, impossible: str
) -> None:
    missing = await dashboard.get("/sessions/sess-nowhere", as_token="officer")
    refused = await dashboard.get(f"/sessions/{impossible}", as_token="officer")

    assert (refused.status_code, refused.text) == (missing.status_code, missing.text)
    assert refused.status_code == 403
    assert heading_and_message(refused.text)[0] == "Not found or not permitted"


@both_stores  # as above
@pytest.mark.parametrize("impossible", ["%00", LONG_ID])
async def test_an_admin_is_told_an_impossible_session_is_not_in_the_log(
    dashboard: Dashboard, impossible: str
) -> None:
    response = await dashboard.get(f"/sessions/{impossible}", as_token="admin")

    assert response.status_code == 404
    assert heading_and_message(response.text)[0] == "No such session"
