"""When the broker cannot acknowledge, the API says 503 promptly and never 202."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import ensure_topics
from services.adapters.tansu import EmbeddedBroker
from services.http.availability import get_broker_timeout
from tests.factories import document
from tests.http.serving import Api, serving


@pytest.fixture
async def doomed_broker() -> AsyncIterator[tuple[EmbeddedBroker, KafkaBroker]]:
    """A live broker the test may stop; the client gives up on requests within 2 s, so that
    closing it afterwards does not wait out aiokafka's default 40 s for the lost message."""
    async with EmbeddedBroker(port=0) as embedded:
        await ensure_topics(bootstrap_servers=embedded.bootstrap_servers, partitions=1)
        client = KafkaBroker(embedded.bootstrap_servers, acks="all", request_timeout_ms=2000)
        await client.connect()
        try:
            yield embedded, client
        finally:
            await client.stop()


async def test_a_broker_that_cannot_be_reached_answers_503_with_a_retry_hint(
    api_without_broker: Api,
) -> None:
    api = api_without_broker

    response = await api.client.post(
        "/v1/events", json=document("vitals.recorded"), headers=api.auth("publisher")
    )

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "retry" in response.json()["detail"]


async def test_a_broker_that_stopped_answers_503_once_the_deadline_passes(
    engine: AsyncEngine,
    tokens: dict[str, str],
    doomed_broker: tuple[EmbeddedBroker, KafkaBroker],
) -> None:
    embedded, client = doomed_broker
    async with serving(
        engine=engine, broker=client, bootstrap=embedded.bootstrap_servers, tokens=tokens
    ) as api:
        api.app.dependency_overrides[get_broker_timeout] = lambda: 1.0
        await embedded.stop()
        started = time.monotonic()

        response = await api.client.post(
            "/v1/events", json=document("vitals.recorded"), headers=api.auth("publisher")
        )

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 5


async def test_a_read_whose_access_cannot_be_recorded_is_refused_with_503(
    api_without_broker: Api,
) -> None:
    api = api_without_broker

    response = await api.client.get(
        "/v1/sessions/sess-demo-05/timeline", headers=api.auth("officer")
    )

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "entries" not in response.text
