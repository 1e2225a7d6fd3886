"""The overview's report downloads: the current period and filter, named in the file."""

from __future__ import annotations

import csv
import io

from services.demo import PLANTED_LAPSES
from tests.dashboard.conftest import Dashboard
from tests.http.support import CLINIC, OTHER_CLINIC

DAY = "from=2026-11-24&to=2026-11-24"


async def test_the_overview_offers_the_pdf_and_csv_of_its_period_and_filter(
    dashboard: Dashboard,
) -> None:
    page = await dashboard.get(
        f"/overview?clinic={CLINIC}&{DAY}&status=non_compliant", as_token="officer"
    )

    assert page.status_code == 200
    for extension in ("pdf", "csv"):
        assert (
            f"/clinics/{CLINIC}/report.{extension}?from=2026-11-24&amp;to=2026-11-24"
            "&amp;status=non_compliant"
        ) in page.text
    assert "Sessions listed: status non_compliant" in page.text


async def test_the_csv_download_lists_the_filtered_sessions_and_names_the_filter(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(
        f"/clinics/{CLINIC}/report.csv?{DAY}&status=non_compliant", as_token="officer"
    )

    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="clinic-demo-compliance-report-2026-11-24-to-2026-11-24'
        '_status-non_compliant.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {row["session_id"] for row in rows} == set(PLANTED_LAPSES)
    recorded = {p for call in dashboard.auditor.allowed for p in call["patient_ids"]}
    assert {row["patient_id"] for row in rows} <= recorded


async def test_another_clinics_officer_gets_no_report_download(dashboard: Dashboard) -> None:
    response = await dashboard.get(f"/clinics/{CLINIC}/report.pdf?{DAY}", as_token="other-officer")

    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")
    assert OTHER_CLINIC not in response.headers.get("content-disposition", "")
