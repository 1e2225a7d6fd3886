"""The API served in-process (ASGI) over a seeded store and the real embedded broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import ensure_topics, make_broker
from services.adapters.tansu import EmbeddedBroker
from tests.http.serving import Api, closed_port, memory_context, serving, serving_context
from tests.http.support import issue_tokens, seed_fresh


@pytest.fixture
async def connected_broker(kafka: EmbeddedBroker) -> AsyncIterator[KafkaBroker]:
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    broker = make_broker(bootstrap_servers=kafka.bootstrap_servers)
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


@pytest.fixture
async def tokens(engine: AsyncEngine) -> dict[str, str]:
    """Token name -> bearer token, over a store seeded with the demo day."""
    await seed_fresh(engine)
    return await issue_tokens(engine)


_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``api`` (and ``either_api``) reach ``sql_api`` and its broker only at run time,
    which the root conftest's marking from fixtures cannot see: mark those tests
    ``broker`` here."""
    for item in items:
        if not item.path.is_relative_to(_HERE):
            continue
        # A fixture parametrized over the two (``either_api``) names them as values.
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_sql = "api" in getattr(item, "fixturenames", ()) and (
            item.get_closest_marker("memory_ports") is None
        )
        if on_sql or "sql_api" in params.values():
            item.add_marker(pytest.mark.broker)


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Api:
    """The app over the seeded store: on the memory ports in modules marked
    ``memory_ports`` (what they check does not depend on the store), else ``sql_api``."""
    served = "memory_api" if request.node.get_closest_marker("memory_ports") else "sql_api"
    app: Api = request.getfixturevalue(served)
    return app


@pytest.fixture
async def memory_api() -> AsyncIterator[Api]:
    """The app on the memory ports alone (``serving.memory_context``): no database, no
    broker."""
    context, ports, tokens = await memory_context()
    async with serving_context(context, tokens=tokens, memory=ports) as running:
        yield running


@pytest.fixture
async def sql_api(
    engine: AsyncEngine,
    kafka: EmbeddedBroker,
    connected_broker: KafkaBroker,
    tokens: dict[str, str],
) -> AsyncIterator[Api]:
    """The app over the seeded store, publishing to the live embedded broker."""
    async with serving(
        engine=engine, broker=connected_broker, bootstrap=kafka.bootstrap_servers, tokens=tokens
    ) as running:
        yield running


@pytest.fixture
async def api_without_broker(engine: AsyncEngine, tokens: dict[str, str]) -> AsyncIterator[Api]:
    """The app over the seeded store, its broker pointing at a port nobody listens on."""
    bootstrap = f"127.0.0.1:{closed_port()}"
    async with serving(
        engine=engine,
        broker=make_broker(bootstrap_servers=bootstrap),
        bootstrap=bootstrap,
        tokens=tokens,
    ) as running:
        yield running
