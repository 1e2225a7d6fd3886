"""The hostile corpus against the real broker, recorder and API, on both stores: each
message lands with its reason (or, if valid, exactly as sent), no process stalls, and the
canary events around every one of them are recorded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from events import TOPIC, RejectionReason
from services.adapters.kafka.dead_letters import DEAD_LETTER_MAX_BYTES
from services.adapters.sql import create_engine
from services.adapters.sql.tables import event_log, rejected_events
from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from services.http.api.publishing import MAX_BODY_BYTES
from services.runtime import running_stack
from tests.conftest import both_stores
from tests.hostile.corpus import Hostile, canary, corpus, escape_cases
from tests.integration.support import read_dead_letters, settings_for, wait_until

# About the store as much as the recorder: invalid UTF-8 kept as bytes, SQL in every text
# field, a year-9999 instant, events at the size limit; each dialect stores them its own way.
pytestmark = both_stores


@dataclass(frozen=True, slots=True)
class _Sent:
    hostile: Hostile
    partition: int
    offset: int
    field: str | None = None
    text: str | None = None


async def _logged(database_url: str) -> tuple[dict[str, dict[str, Any]], list[Any]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            entries = {
                row.event_id: json.loads(row.event_json)
                for row in await connection.execute(
                    select(event_log.c.event_id, event_log.c.event_json)
                )
            }
            rejections = list(await connection.execute(select(rejected_events)))
    finally:
        await engine.dispose()
    return entries, rejections


def _at(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for name in dotted.split("."):
        value = value[name]
    return value


def _event_id(hostile: Hostile) -> str | None:
    try:
        return str(json.loads(hostile.value or b"")["event_id"])
    except (ValueError, KeyError, TypeError):
        return None


async def _dead_letter_sizes(bootstrap_servers: str, *, count: int) -> list[int]:
    letters = await read_dead_letters(bootstrap_servers, count=count, within=60)
    return [len(letter["value"]) for letter in letters]


async def test_every_hostile_message_on_the_topic_lands_with_its_reason_between_recorded_canaries(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    canaries: list[str] = []
    sent: list[_Sent] = []
    plain = corpus()
    escapes = escape_cases()
    async with running_stack(settings, project=False, serve_http=False):
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka.bootstrap_servers,
            acks="all",
            max_request_size=2 * 1024 * 1024,
        )
        await producer.start()
        try:

            async def send_canary() -> None:
                key, value, event_id = canary()
                await producer.send_and_wait(TOPIC, value, key=key)
                canaries.append(event_id)

            for hostile, field, text in [
                *((h, None, None) for h in plain),
                *((h, f, t) for h, f, t in escapes),
            ]:
                await send_canary()
                metadata = await producer.send_and_wait(TOPIC, hostile.value, key=hostile.key)
                sent.append(_Sent(hostile, metadata.partition, metadata.offset, field, text))
            await send_canary()
        finally:
            await producer.stop()

        async def last_canary_recorded() -> bool:
            entries, _ = await _logged(database_url)
            return canaries[-1] in entries

        # One partition (one key) for all: a message that stalled the recorder would hold
        # back this last canary.
        await wait_until(last_canary_recorded, within=180, what="the last canary")
        entries, rejections = await _logged(database_url)

    assert all(event_id in entries for event_id in canaries)
    by_offset = {(r.kafka_partition, r.kafka_offset): r for r in rejections}
    problems: list[str] = []
    rejected_offsets = set()
    for item in sent:
        hostile = item.hostile
        rejection = by_offset.get((item.partition, item.offset))
        if item.field is not None:
            # An escape case: kept to the byte, or refused naming the field it was put in.
            event_id = _event_id(hostile)
            if rejection is None:
                stored = entries.get(event_id or "")
                if stored is None or _at(stored, item.field) != item.text:
                    problems.append(f"{hostile.name}: neither rejected nor recorded exactly")
            elif rejection.reason != RejectionReason.SCHEMA_VIOLATION or item.field not in {
                e["path"] for e in json.loads(rejection.errors_json)
            }:
                problems.append(f"{hostile.name}: {rejection.reason} {rejection.errors_json}")
            if rejection is not None:
                rejected_offsets.add((item.partition, item.offset))
            continue
        if hostile.expected is None:
            if rejection is not None or _event_id(hostile) not in entries:
                problems.append(f"{hostile.name}: valid but not recorded")
            continue
        if rejection is None:
            problems.append(f"{hostile.name}: not in rejected_events")
            continue
        rejected_offsets.add((item.partition, item.offset))
        if rejection.reason != hostile.expected:
            problems.append(f"{hostile.name}: {rejection.reason}, not {hostile.expected}")
        paths = {e["path"] for e in json.loads(rejection.errors_json)}
        if hostile.path is not None and hostile.path not in paths:
            problems.append(f"{hostile.name}: errors name {paths}, not {hostile.path}")
        if not all(e["message"] for e in json.loads(rejection.errors_json)):
            problems.append(f"{hostile.name}: an error without a message")
    assert problems == []
    # Nothing else was refused: every canary and valid message got through.
    assert {(r.kafka_partition, r.kafka_offset) for r in rejections} == rejected_offsets
    sizes = await _dead_letter_sizes(kafka.bootstrap_servers, count=len(rejections))
    assert len(sizes) == len(rejections)
    assert max(sizes) <= DEAD_LETTER_MAX_BYTES


async def _post(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post(
        "/v1/events", content=body, headers={"Content-Type": "application/json"}
    )


async def test_every_hostile_request_body_gets_a_clear_refusal_or_is_kept_exactly(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    engine = create_engine(database_url)
    canaries: list[str] = []
    problems: list[str] = []
    kept: list[tuple[str, str | None, str | None]] = []
    plain: Sequence[tuple[Hostile, str | None, str | None]] = [
        (h, None, None) for h in corpus() if h.over_http
    ]
    cases = [*plain, *escape_cases()]
    async with running_stack(settings, project=False) as stack:
        try:
            # An admin token: the escape cases put text in clinic_id too.
            token, _ = await SqlTokenStore(engine=engine).create(
                name="hostile-ehr", role=Role.ADMIN, clinics=[], now=datetime.now(UTC)
            )
        finally:
            await engine.dispose()
        assert stack.http_url is not None
        async with httpx.AsyncClient(
            base_url=stack.http_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:

            async def send_canary() -> None:
                _, value, event_id = canary()
                response = await _post(client, value)
                assert response.status_code == 202, response.text
                canaries.append(event_id)

            for hostile, field, text in cases:
                await send_canary()
                assert hostile.value is not None
                response = await _post(client, hostile.value)
                answer = response.json()
                if response.status_code == 202:
                    if field is None and hostile.expected not in (None, RejectionReason.CONFLICT):
                        problems.append(f"{hostile.name}: accepted")
                    kept.append((str(_event_id(hostile)), field, text))
                    continue
                if response.status_code not in (400, 413, 415, 422):
                    problems.append(f"{hostile.name}: answered {response.status_code}")
                    continue
                errors = answer.get("errors", [])
                paths = {e.get("path") for e in errors}
                if not errors or not all(e.get("message") for e in errors):
                    problems.append(f"{hostile.name}: refused without a field error: {answer}")
                wanted = field or hostile.path
                if wanted is not None and wanted not in paths:
                    problems.append(f"{hostile.name}: errors name {paths}, not {wanted}")
                if field is None and hostile.expected is None:
                    problems.append(f"{hostile.name}: valid but refused: {answer}")
            await send_canary()
            too_big = await _post(client, b" " * (MAX_BODY_BYTES + 1))
            await send_canary()

        async def last_canary_recorded() -> bool:
            entries, _ = await _logged(database_url)
            return canaries[-1] in entries

        await wait_until(last_canary_recorded, within=180, what="the last canary")
        entries, rejections = await _logged(database_url)
    assert too_big.status_code == 413
    assert "16777216 bytes" in too_big.json()["detail"]
    assert problems == []
    assert all(event_id in entries for event_id in canaries)
    for event_id, field, text in kept:
        if field is None:
            continue
        assert event_id in entries, field
        assert _at(entries[event_id], field) == text
    # What the API let through and the recorder still refused: only the conflict, which
    # needs the log to see.
    assert [r.reason for r in rejections] == [RejectionReason.CONFLICT]
