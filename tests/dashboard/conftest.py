"""The dashboard served in-process (ASGI) over the seeded store, on both database backends.

The access log is the memory one (``RecordingAccessLog``), so these tests need no
broker, and the queries count how often a session's history is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from projections import PatientHistory, SessionHistory
from services.adapters.kafka import make_broker
from services.adapters.memory import RecordingAccessLog
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.clock import FixedClock
from services.http import create_app
from tests.http.serving import closed_port
from tests.http.support import NOW, ZONES, http_context, issue_tokens, seed_fresh


class CountingQueries(SqlComplianceQueries):
    """The real queries, counting each read of a session's history."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.histories_read: list[str] = []

    async def session_and_patient(
        self, session_id: str
    ) -> tuple[SessionHistory, PatientHistory | None]:
        self.histories_read.append(session_id)
        return await super().session_and_patient(session_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dashboard:
    client: httpx.AsyncClient
    tokens: dict[str, str]
    auditor: RecordingAccessLog
    queries: CountingQueries
    app: FastAPI

    async def get(self, path: str, *, as_token: str) -> httpx.Response:
        """``path`` as the browser signed in with the token named ``as_token`` asks for it."""
        return await self.client.get(
            path, headers={"Cookie": f"kapaudit_token={self.tokens[as_token]}"}
        )


@pytest.fixture
async def dashboard(engine: AsyncEngine) -> AsyncIterator[Dashboard]:
    await seed_fresh(engine)
    tokens = await issue_tokens(engine)
    auditor = RecordingAccessLog()
    queries = CountingQueries(engine=engine, clock=FixedClock(at=NOW), zones=ZONES)
    # Nothing is published: the broker is only there for the wiring, pointing nowhere.
    broker = make_broker(bootstrap_servers=f"127.0.0.1:{closed_port()}")
    context = replace(http_context(engine=engine, broker=broker), auditor=auditor, queries=queries)
    app = create_app(context)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://dashboard.test"
    ) as client:
        yield Dashboard(client=client, tokens=tokens, auditor=auditor, queries=queries, app=app)
