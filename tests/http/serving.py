"""The API app served in-process over ASGI, with a client that knows the test tokens."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from events import ACCESS_TOPIC, TOPIC, canonical_json
from services.adapters.memory import (
    InMemoryCheckpointStore,
    InMemoryComplianceQueries,
    InMemoryEventStore,
    InMemoryPublisher,
    InMemoryTokenStore,
)
from services.clock import FixedClock
from services.http import HttpContext, create_app
from services.proofs import LogProofs
from services.reading.access_auditor import AccessAuditor
from tests.http.support import NOW, TOKENS, ZONES, http_context, published_events, record_seed


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryPorts:
    """The memory implementations an API served from memory uses, for tests to look into."""

    log: InMemoryEventStore
    published: InMemoryPublisher
    checkpoints: InMemoryCheckpointStore


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    tokens: dict[str, str]
    engine: AsyncEngine | None = None
    """The SQL store served (None when served from memory)."""
    bootstrap_servers: str | None = None
    """The broker published to (None when served from memory)."""
    memory: MemoryPorts | None = None
    """The ports served (None when served from SQL and the broker)."""

    def auth(self, token_name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[token_name]}"}


@contextlib.asynccontextmanager
async def serving(
    *, engine: AsyncEngine, broker: KafkaBroker, bootstrap: str, tokens: dict[str, str]
) -> AsyncIterator[Api]:
    app = create_app(http_context(engine=engine, broker=broker))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client=client, app=app, engine=engine, bootstrap_servers=bootstrap, tokens=tokens)


async def memory_context() -> tuple[HttpContext, MemoryPorts, dict[str, str]]:
    """The HTTP side on the memory ports alone, holding what ``seed`` records, with the
    tokens of ``TOKENS`` (the clock standing at ``NOW``)."""
    clock = FixedClock(at=NOW)
    log = InMemoryEventStore()
    await record_seed(log)
    tokens = InMemoryTokenStore()
    issued = {}
    for name, (role, clinics) in TOKENS.items():
        issued[name], _ = await tokens.create(name=name, role=role, clinics=clinics, now=NOW)
    await tokens.revoke("revoked", now=NOW)
    ports = MemoryPorts(
        log=log, published=InMemoryPublisher(), checkpoints=InMemoryCheckpointStore(log=log)
    )

    async def ready() -> bool:
        return True

    context = HttpContext(
        store=log,
        queries=InMemoryComplianceQueries(log=log, clock=clock, zones=ZONES),
        tokens=tokens,
        publisher=ports.published,
        auditor=AccessAuditor(publisher=ports.published, clock=clock),
        clock=clock,
        zones=ZONES,
        broker_ready=ready,
        database_ready=ready,
        proofs=LogProofs(tree=log, checkpoints=ports.checkpoints),
    )
    return context, ports, issued


@contextlib.asynccontextmanager
async def serving_context(
    context: HttpContext, *, tokens: dict[str, str], memory: MemoryPorts | None = None
) -> AsyncIterator[Api]:
    """``context``'s app served in-process, with a client."""
    app = create_app(context)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client=client, app=app, tokens=tokens, memory=memory)


def closed_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def published(
    api: Api, *, topics: tuple[str, ...] = (TOPIC, ACCESS_TOPIC)
) -> list[dict[str, Any]]:
    """Every event ``api`` has published on ``topics``, as the JSON documents the broker
    carries: kept by the memory publisher, or read back from the broker."""
    if api.memory is not None:
        return [
            json.loads(canonical_json(event))
            for topic in topics
            for event in api.memory.published.events(topic)
        ]
    assert api.bootstrap_servers is not None
    return await published_events(api.bootstrap_servers, topics=topics)


async def published_ids(api: Api) -> set[str]:
    """The ids of every event ``api`` has published."""
    return {str(event["event_id"]) for event in await published(api)}
