"""The exports page: where a regulator lands, what each role sees, and the request form's
cross-site protection. (Making a bundle is tested through the API and in Chromium.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import make_broker
from services.adapters.sql.export_ledger import SqlExportLedger
from services.bootstrap import wire_exports
from services.clock import FixedClock
from services.config import Settings
from services.exporting.ports import ExportRecord, ExportStatus
from services.exporting.queue import ExportQueue
from services.rate_limits import ApiLimits, Limit
from services.signing_keys import create_key_file
from tests.dashboard.conftest import Dashboard
from tests.http.serving import closed_port
from tests.http.support import CLINIC, NOW


@pytest.fixture
async def exports(dashboard: Dashboard, engine: AsyncEngine, tmp_path: Path) -> SqlExportLedger:
    """The dashboard with an export queue (a signing key, no broker) and its ledger."""
    key = tmp_path / "signing.key"
    create_key_file(key, name="kapaudit.local/log")
    queue = ExportQueue(
        exports=wire_exports(
            settings=Settings(signing_key_file=key),
            engine=engine,
            broker=make_broker(bootstrap_servers=f"127.0.0.1:{closed_port()}"),
            clock=FixedClock(at=NOW),
        ),
        directory=tmp_path / "exports",
    )
    state = dashboard.app.state
    state.context = replace(state.context, exports=queue)
    return SqlExportLedger(engine=engine)


def _filed(export_id: str, *, by: str, status: ExportStatus) -> ExportRecord:
    return ExportRecord(
        export_id=export_id,
        clinic_id=CLINIC,
        patient_id=None,
        period_start=NOW - timedelta(days=1),
        period_end=NOW,
        time_zone="America/Denver",
        requested_by=by,
        requester_role="admin" if by == "admin" else "regulator",
        status=status,
        entries_written=40,
        entries_expected=None if status is ExportStatus.QUEUED else 100,
        checkpoint_size=None,
        previous_sizes=(),
        bundle_path=Path(f"/nowhere/{export_id}.zip"),
        error=None,
        created_at=NOW,
        started_at=None,
        finished_at=None,
        updated_at=NOW,
    )


async def test_a_signed_in_regulator_lands_on_the_exports_page_with_its_clinics(
    dashboard: Dashboard, exports: SqlExportLedger
) -> None:
    root = await dashboard.get("/", as_token="regulator")
    assert (root.status_code, root.headers["location"]) == (303, "/exports")
    page = await dashboard.get("/exports", as_token="regulator")
    assert page.status_code == 200
    assert f"<li>{CLINIC}</li>" in page.text
    assert 'href="/exports"' in page.text
    assert 'href="/overview' not in page.text
    assert 'action="/exports"' in page.text


async def test_signing_in_as_a_regulator_without_a_next_page_opens_the_exports(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.client.post(
        "/sign-in", data={"token": dashboard.tokens["regulator"]}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/exports")


@pytest.mark.parametrize("token", ["officer", "publisher"])
async def test_tokens_that_cannot_export_are_refused_the_page(
    dashboard: Dashboard, exports: SqlExportLedger, token: str
) -> None:
    page = await dashboard.get("/exports", as_token=token)
    assert page.status_code == 403
    assert "cannot export" in page.text


async def test_an_export_request_posted_from_another_site_is_refused_and_files_nothing(
    dashboard: Dashboard, exports: SqlExportLedger
) -> None:
    response = await dashboard.client.post(
        "/exports",
        data={"clinic": CLINIC, "from": "2026-11-24", "to": "2026-11-24"},
        headers={
            "Cookie": f"kapaudit_token={dashboard.tokens['regulator']}",
            "Origin": "https://attacker.example",
        },
    )
    assert response.status_code == 403
    assert "sent from another site" in response.text
    assert await exports.recent(requested_by=None, limit=10) == []


async def test_a_regulator_sees_its_own_exports_and_an_admin_sees_everyones(
    dashboard: Dashboard, exports: SqlExportLedger
) -> None:
    await exports.add(_filed("exp-mine", by="regulator", status=ExportStatus.DONE))
    await exports.add(_filed("exp-theirs", by="admin", status=ExportStatus.DONE))

    regulator = (await dashboard.get("/exports", as_token="regulator")).text
    admin = (await dashboard.get("/exports", as_token="admin")).text

    assert 'id="exp-mine"' in regulator
    assert "exp-theirs" not in regulator
    assert 'href="/v1/exports/exp-mine/bundle"' in regulator
    assert 'id="exp-mine"' in admin
    assert 'id="exp-theirs"' in admin
    # The admin downloads its own bundle only: the regulator's disclosures name the regulator.
    assert 'href="/v1/exports/exp-theirs/bundle"' in admin
    assert 'href="/v1/exports/exp-mine/bundle"' not in admin


async def test_the_page_refreshes_itself_only_while_an_export_is_under_way(
    dashboard: Dashboard, exports: SqlExportLedger
) -> None:
    await exports.add(_filed("exp-done", by="regulator", status=ExportStatus.DONE))
    settled = (await dashboard.get("/exports", as_token="regulator")).text
    await exports.add(_filed("exp-running", by="regulator", status=ExportStatus.RUNNING))
    running = (await dashboard.get("/exports", as_token="regulator")).text

    assert 'http-equiv="refresh"' not in settled
    assert 'http-equiv="refresh"' in running
    assert '<progress value="40" max="100">' in running


async def test_a_regulator_past_the_export_budget_gets_a_page_saying_when_to_retry(
    dashboard: Dashboard, exports: SqlExportLedger
) -> None:
    async def ready() -> bool:
        return True

    limits = ApiLimits.of(
        requests=Limit(per_minute=600, burst=100),
        expensive=Limit(per_minute=2, burst=1),
        monotonic=lambda: 0.0,
    )
    state = dashboard.app.state
    state.context = replace(state.context, broker_ready=ready, limits=limits)
    regulator = await state.context.tokens.authenticate(dashboard.tokens["regulator"])
    assert regulator is not None
    # The budget spent beforehand (an export through the API, say): no export is made
    # here, so none is left running in the background when the test ends.
    limits.expensive.take(str(regulator.token_id))

    refused = await dashboard.client.post(
        "/exports",
        data={"clinic": CLINIC, "from": "2026-11-24", "to": "2026-11-24"},
        headers={
            "Cookie": f"kapaudit_token={dashboard.tokens['regulator']}",
            "Origin": "http://dashboard.test",
        },
    )

    assert refused.status_code == 429
    assert "Too many log checks and exports under this token" in refused.text
    assert "retry in 30 s" in refused.text
    assert await exports.recent(requested_by=None, limit=10) == []
