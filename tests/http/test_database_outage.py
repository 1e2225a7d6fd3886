"""While the database cannot be reached, every read answers 503 with Retry-After.

API endpoints and dashboard pages alike, whether the outage is met when the token is
looked up or when the data is read, on both backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import make_broker
from services.adapters.sql import SqlEventStore, create_engine
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.sql.token_store import SqlTokenStore
from services.clock import FixedClock
from services.http import create_app
from tests.conftest import both_stores
from tests.http.endpoints import READS, SESSION, VERIFY
from tests.http.serving import closed_port
from tests.http.support import CLINIC, NOW, http_context, issue_tokens

# Each driver fails in its own way (asyncpg cannot connect, SQLite cannot open a file).
pytestmark = both_stores

PAGES = (
    f"/overview?clinic={CLINIC}",
    f"/clinics/{CLINIC}/ledger",
    f"/clinics/{CLINIC}/access",
    f"/sessions/{SESSION}",
)


@pytest.fixture
async def unreachable(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine of the same backend as ``engine`` that cannot connect: PostgreSQL on a
    port nobody listens on, SQLite on a path that is a directory."""
    if engine.dialect.name == "postgresql":
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/test"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}"
    broken = create_engine(url)
    try:
        yield broken
    finally:
        await broken.dispose()


async def _client(
    *, engine: AsyncEngine, tokens_engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    broker = make_broker(bootstrap_servers=f"127.0.0.1:{closed_port()}")
    context = replace(
        http_context(engine=engine, broker=broker),
        tokens=SqlTokenStore(engine=tokens_engine),
        store=SqlEventStore(engine=engine),
        queries=SqlComplianceQueries(engine=engine, clock=FixedClock(at=NOW)),
    )
    transport = httpx.ASGITransport(app=create_app(context), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def admin(engine: AsyncEngine) -> str:
    """An admin token, valid in ``engine`` (an admin may read every endpoint)."""
    return (await issue_tokens(engine))["admin"]


@pytest.fixture
async def reads_fail(
    engine: AsyncEngine, unreachable: AsyncEngine, admin: str
) -> AsyncIterator[Token]:
    """Tokens are checked on a working database; everything read after is unreachable."""
    async for client in _client(engine=unreachable, tokens_engine=engine):
        yield Token(client=client, admin=admin)


@pytest.fixture
async def all_fails(unreachable: AsyncEngine, admin: str) -> AsyncIterator[Token]:
    """Even the token cannot be looked up."""
    async for client in _client(engine=unreachable, tokens_engine=unreachable):
        yield Token(client=client, admin=admin)


class Token:
    def __init__(self, *, client: httpx.AsyncClient, admin: str) -> None:
        self.client = client
        self.admin = admin

    async def api(self, path: str) -> httpx.Response:
        return await self.client.get(path, headers={"Authorization": f"Bearer {self.admin}"})

    async def page(self, path: str) -> httpx.Response:
        return await self.client.get(path, headers={"Cookie": f"kapaudit_token={self.admin}"})


def _assert_retry_later(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.request.url, response.text[:300])
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"


async def test_every_api_read_answers_503_with_retry_after_when_its_data_cannot_be_read(
    reads_fail: Token,
) -> None:
    for path in (*READS, VERIFY):
        response = await reads_fail.api(path)
        _assert_retry_later(response)
        assert "database is unavailable" in response.json()["detail"]


async def test_every_api_read_answers_503_when_even_the_token_cannot_be_looked_up(
    all_fails: Token,
) -> None:
    for path in (*READS, VERIFY):
        _assert_retry_later(await all_fails.api(path))


async def test_every_dashboard_page_answers_a_503_page_with_retry_after(
    reads_fail: Token, all_fails: Token
) -> None:
    for client in (reads_fail, all_fails):
        for path in PAGES:
            response = await client.page(path)
            _assert_retry_later(response)
            assert "The database is unavailable" in response.text
