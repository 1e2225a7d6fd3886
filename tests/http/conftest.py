"""The API served in-process (ASGI) over a seeded store and the real embedded broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import ensure_topics, make_broker
from services.adapters.tansu import EmbeddedBroker
from tests.http.serving import Api, closed_port, serving
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


@pytest.fixture
async def api(
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
