"""The access-report page shows a clinic's reads only to a token scoped to that clinic."""

from __future__ import annotations

from tests.dashboard.conftest import Dashboard
from tests.http.support import CLINIC, OTHER_CLINIC


async def test_another_clinics_officer_is_refused_the_access_report_and_nothing_is_read(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(f"/clinics/{CLINIC}/access", as_token="other-officer")

    assert response.status_code == 403
    assert "Not one of your clinics" in response.text
    assert 'id="read-count"' not in response.text
    assert dashboard.auditor.allowed == []


async def test_an_officer_of_the_clinic_sees_its_access_report(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/clinics/{OTHER_CLINIC}/access", as_token="other-officer")

    assert response.status_code == 200
    assert 'id="read-count"' in response.text
