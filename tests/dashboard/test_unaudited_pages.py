"""A page whose read cannot be written to the access log in time is withheld (503)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.http.availability import get_broker_timeout
from tests.dashboard.conftest import Dashboard
from tests.http.support import CLINIC


@pytest.mark.parametrize(
    "path",
    [
        f"/overview?clinic={CLINIC}&from=2026-11-01&to=2026-11-30",
        "/sessions/sess-demo-05",
        f"/clinics/{CLINIC}/ledger?from=2026-11-01&to=2026-11-30",
    ],
)
async def test_a_page_is_withheld_when_the_access_log_does_not_answer_in_time(
    dashboard: Dashboard, path: str
) -> None:
    async def never_acknowledged(**details: Any) -> list[Any]:
        await asyncio.Event().wait()
        return []

    dashboard.auditor.record = never_acknowledged  # type: ignore[method-assign]
    dashboard.app.dependency_overrides[get_broker_timeout] = lambda: 0.2

    response = await asyncio.wait_for(dashboard.get(path, as_token="officer"), timeout=10)

    assert response.status_code == 503
    assert "cannot be shown right now" in response.text
