"""The thresholds page: what is in force, where each value comes from, and the history."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.projecting import Projector
from tests.dashboard.conftest import Dashboard
from tests.factories import at, document, valid
from tests.http.support import CLINIC, NOW

PAGE = f"/clinics/{CLINIC}/thresholds"


async def _change_the_iv_monitoring_gap(engine: AsyncEngine) -> None:
    change = at(
        document(
            "profile.changed",
            clinic_id=CLINIC,
            payload={
                "protocol": "iv-ketamine",
                "settings": {"monitoring_max_gap_minutes": 10},
                "author": "dr-okafor",
                "reason": "Vitals every 10 minutes during infusions.",
            },
        ),
        NOW - timedelta(days=2),
    )
    await SqlEventStore(engine=engine).record(
        valid=[valid(change)], invalid=[], recorded_at=NOW - timedelta(days=2)
    )
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()


async def test_an_officer_sees_the_shipped_defaults_with_their_sources(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.get(PAGE, as_token="officer")

    assert response.status_code == 200
    assert 'id="protocol-iv-ketamine"' in response.text
    assert "version 0 (shipped defaults)" in response.text
    assert "shipped default: " in response.text


async def test_a_change_shows_its_value_author_reason_and_history(
    dashboard: Dashboard, engine: AsyncEngine
) -> None:
    await _change_the_iv_monitoring_gap(engine)

    response = await dashboard.get(PAGE, as_token="officer")

    iv = response.text.split('id="protocol-iv-ketamine"')[1].split("</section>")[0]
    assert "version 1" in iv
    row = iv.split('data-setting="monitoring_max_gap_minutes"')[1].split("</tr>")[0]
    assert '<td data-label="Value">10</td>' in row
    assert "version 1 by dr-okafor: Vitals every 10 minutes during infusions." in row
    assert 'data-version="1"' in iv
    assert 'data-version="0"' in iv


async def test_as_of_before_the_change_shows_the_thresholds_in_force_then(
    dashboard: Dashboard, engine: AsyncEngine
) -> None:
    await _change_the_iv_monitoring_gap(engine)
    before = (NOW - timedelta(days=3)).isoformat()

    response = await dashboard.get(f"{PAGE}?as_of={quote(before)}", as_token="officer")

    iv = response.text.split('id="protocol-iv-ketamine"')[1].split("</section>")[0]
    assert "version 0 (shipped defaults)" in iv
    assert 'data-version="1"' in iv  # the history still lists the later change


async def test_another_clinics_officer_is_refused_the_page(dashboard: Dashboard) -> None:
    response = await dashboard.get(PAGE, as_token="other-officer")

    assert response.status_code == 403
    assert 'id="protocol-iv-ketamine"' not in response.text
