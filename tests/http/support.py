"""Data, tokens and broker helpers shared by the HTTP API tests."""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from events import ACCESS_TOPIC, TOPIC
from services.adapters.kafka import EventPublisher
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.sql.engine import answers
from services.adapters.sql.token_store import SqlTokenStore
from services.auth import Role
from services.bootstrap import wire_proofs
from services.clinic_zones import ClinicZones
from services.clock import FixedClock
from services.demo import demo_day_events
from services.http import HttpContext
from services.projecting import Projector
from services.reading.access_auditor import AccessAuditor
from services.recording.ports import EventStore
from tests.conftest import copy_sqlite
from tests.factories import at, document, valid

NOW: Final = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
"""20:00 at the demo clinic (America/Denver), minutes after its demo day ended."""

CLINIC: Final = "clinic-demo"
OTHER_CLINIC: Final = "clinic-other"
OTHER_SESSION: Final = "sess-other-01"
OTHER_PATIENT: Final = "pt-other-1"

TOKENS: Final = {
    "publisher": (Role.PUBLISHER, [CLINIC]),
    "officer": (Role.COMPLIANCE_OFFICER, [CLINIC]),
    "other-officer": (Role.COMPLIANCE_OFFICER, [OTHER_CLINIC]),
    "regulator": (Role.REGULATOR, [CLINIC]),
    "admin": (Role.ADMIN, []),
    "revoked": (Role.COMPLIANCE_OFFICER, [CLINIC]),
}
"""Token name -> (role, clinics); ``revoked`` is revoked right after it is created."""


def other_clinic_documents() -> list[dict[str, Any]]:
    """One booked session at another clinic, two hours before ``NOW``."""
    start = NOW - timedelta(hours=2)
    common = {"clinic_id": OTHER_CLINIC, "patient_id": OTHER_PATIENT, "session_id": OTHER_SESSION}
    return [
        at(
            document("session.scheduled", **common, payload={"scheduled_start": start.isoformat()}),
            start - timedelta(hours=1),
        ),
        at(document("vitals.recorded", **common), start),
    ]


async def record_seed(store: EventStore) -> None:
    """The demo day and the other clinic's session, each event recorded within half an
    hour of when it happened (as a live recorder would)."""
    documents = demo_day_events(now=NOW) + other_clinic_documents()
    batches: dict[datetime, list[dict[str, Any]]] = defaultdict(list)
    for doc in documents:
        occurred = datetime.fromisoformat(doc["occurred_at"]).astimezone(UTC)
        batches[occurred.replace(minute=30 * (occurred.minute // 30), second=0)].append(doc)
    for slot in sorted(batches):
        await store.record(
            valid=[valid(doc) for doc in batches[slot]],
            invalid=[],
            recorded_at=min(slot + timedelta(minutes=30), NOW),
        )


async def seed(engine: AsyncEngine) -> None:
    """``record_seed`` into the SQL log, then projected."""
    await record_seed(SqlEventStore(engine=engine))
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()


_SEEDED_SQLITE = Path(tempfile.gettempdir()) / f"kapaudit-tests-seeded-{os.getpid()}.db"
"""The first SQLite database ``seed_fresh`` seeded in this test run, kept for the others."""
atexit.register(_SEEDED_SQLITE.unlink, missing_ok=True)


async def seed_fresh(engine: AsyncEngine) -> None:
    """``seed`` a fresh, migrated database. On SQLite, the first one is seeded and kept;
    each later one becomes a copy of it, byte for byte what ``seed`` would have written
    (the demo day is computed, not random), in a fraction of the time: seeding is most of
    an HTTP or dashboard test's setup. ``seed`` itself is tested on both stores by the
    contract and integration suites; PostgreSQL databases are seeded every time."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        await seed(engine)
        return
    async with engine.connect() as connection:
        recorded = (await connection.execute(text("SELECT count(*) FROM event_log"))).scalar()
    assert recorded == 0, f"seed_fresh needs an empty log; {path} holds {recorded} events"
    # No pooled connection may hold the file while its pages are replaced.
    await engine.dispose()
    if _SEEDED_SQLITE.exists():
        copy_sqlite(_SEEDED_SQLITE, Path(path))
        return
    await seed(engine)
    await engine.dispose()
    copy_sqlite(Path(path), _SEEDED_SQLITE)


async def issue_tokens(engine: AsyncEngine) -> dict[str, str]:
    """Token name -> bearer token, for every entry of ``TOKENS``."""
    store = SqlTokenStore(engine=engine)
    issued = {}
    for name, (role, clinics) in TOKENS.items():
        issued[name], _ = await store.create(name=name, role=role, clinics=clinics, now=NOW)
    await store.revoke("revoked", now=NOW)
    return issued


ZONES: Final = ClinicZones(clinics={CLINIC: "America/Denver"})
"""As ``ClinicZones.from_settings`` places the demo clinic."""


def http_context(*, engine: AsyncEngine, broker: KafkaBroker) -> HttpContext:
    """The wiring of ``services.bootstrap.wire_http``, with the clock standing at ``NOW``."""
    clock = FixedClock(at=NOW)
    publisher = EventPublisher(broker=broker)

    async def broker_ready() -> bool:
        return bool(await broker.ping(timeout=2.0))

    return HttpContext(
        store=SqlEventStore(engine=engine),
        queries=SqlComplianceQueries(engine=engine, clock=clock, zones=ZONES),
        tokens=SqlTokenStore(engine=engine),
        publisher=publisher,
        auditor=AccessAuditor(publisher=publisher, clock=clock),
        clock=clock,
        zones=ZONES,
        broker_ready=broker_ready,
        database_ready=functools.partial(answers, engine),
        proofs=wire_proofs(engine=engine),
    )


async def published_events(
    bootstrap_servers: str,
    *,
    topics: tuple[str, ...] = (TOPIC, ACCESS_TOPIC),
    within: float = 20.0,
) -> list[dict[str, Any]]:
    """Every event now on ``topics`` (read up to the current end offsets); by default the
    clinics' event topic and kapaudit's access topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + within
        while any([await consumer.position(p) < ends[p] for p in partitions]):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"could not read {topics} to their end in {within}s")
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(json.loads(record.value) for record in records)
        return found
    finally:
        await consumer.stop()


async def published_ids(bootstrap_servers: str) -> set[str]:
    return {event["event_id"] for event in await published_events(bootstrap_servers)}


async def tamper(engine: AsyncEngine, statement: str, **params: object) -> None:
    """Change the log as an attacker with database rights would: append-only triggers off."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE event_log DISABLE TRIGGER USER"))
            await connection.execute(text(statement), params)
            await connection.execute(text("ALTER TABLE event_log ENABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER event_log_no_update"))
            await connection.execute(text(statement), params)
