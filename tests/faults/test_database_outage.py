"""PostgreSQL stopped mid-stream: while it is down the API says so (not ready, 503 with
Retry-After to readers and publishers) and acknowledges nothing it could not keep; once
it is back, everything acknowledged is recorded once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import EventPublisher, ensure_topics
from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from tests.faults.private_postgres import PrivatePostgres
from tests.faults.reliability import Reliability, ScenarioFigures
from tests.faults.support import (
    Scale,
    clinic_fleet,
    count_outcome,
    environment,
    event_ids,
    kapaudit,
    now,
    projected_to_head,
    read_models,
    rebuilt_read_models,
    recorded_count,
    wait_for,
)

_HTTP_CLINIC = "clinic-f000"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Outage:
    """What the API answered while the database was down."""

    def __init__(self) -> None:
        self.down = False
        self.began = asyncio.Event()
        self.answers: dict[str, list[tuple[int, str | None]]] = {
            "readyz": [],
            "read": [],
            "publish": [],
        }

    async def ask(self, kind: str, request: Awaitable[httpx.Response]) -> httpx.Response:
        """Send ``request``; its answer counts when the database was down from before it
        was sent until after it was answered."""
        down_before = self.down
        response = await request
        if down_before and self.down:
            self.answers[kind].append((response.status_code, response.headers.get("retry-after")))
        return response


async def _ingest(
    client: httpx.AsyncClient, batches: list[list[dict[str, Any]]], outage: _Outage
) -> set[str]:
    """Publish over HTTP as a well-behaved clinic system: a batch refused with 503 is sent
    again after a pause; returns the ids the API answered 202 for."""
    accepted: set[str] = set()
    for number, batch in enumerate(batches):
        if number == len(batches) // 2:
            await outage.began.wait()  # the second half while the database is down
        while True:
            response = await outage.ask(
                "publish", client.post("/v1/events", json={"events": batch})
            )
            if response.status_code == 202:
                accepted.update(response.json()["accepted"])
                break
            assert response.status_code == 503, response.text
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.05)
    return accepted


async def _watch(client: httpx.AsyncClient, session_id: str, outage: _Outage) -> None:
    while True:
        try:
            await outage.ask("readyz", client.get("/readyz"))
            await outage.ask("read", client.get(f"/v1/sessions/{session_id}/compliance"))
        except httpx.TransportError:
            # Only once the test stops the server; while the database is down the API
            # must answer, which the counts of answers check.
            return
        await asyncio.sleep(0.3)


async def test_while_postgresql_is_down_the_api_refuses_with_503_and_nothing_is_lost(
    kafka: EmbeddedBroker,
    database: tuple[str, AsyncEngine],
    postgres: PrivatePostgres,
    scale: Scale,
    reliability: Reliability,
) -> None:
    url, engine = database
    port = _free_port()
    env = {**environment(kafka, url), "KAPAUDIT_HTTP_PORT": str(port)}
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    documents = clinic_fleet(scale.events)
    over_http = [d for d in documents if d["clinic_id"] == _HTTP_CLINIC]
    over_kafka = [d for d in documents if d["clinic_id"] != _HTTP_CLINIC]
    session_id = next(str(d["session_id"]) for d in over_http if d.get("session_id"))
    tokens = SqlTokenStore(engine=engine)
    publisher_token, _ = await tokens.create(
        name="ehr", role=Role.PUBLISHER, clinics=[_HTTP_CLINIC], now=now()
    )
    reader_token, _ = await tokens.create(
        name="officer", role=Role.COMPLIANCE_OFFICER, clinics=[_HTTP_CLINIC], now=now()
    )
    await engine.dispose()  # its pooled connections would die with the server anyway
    processes = [
        kapaudit(command, env=env, name=f"outage-{command}")
        for command in ("record", "project", "serve")
    ]
    for process in processes:
        await process.start()
    base = f"http://127.0.0.1:{port}"
    outage = _Outage()
    async with (
        httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {publisher_token}"}, timeout=30
        ) as publishing_client,
        httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {reader_token}"}, timeout=30
        ) as reading_client,
    ):

        async def serving() -> bool:
            try:
                return (await reading_client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_for(serving, within=120, what="the API to be ready")
        batches = [over_http[i : i + 10] for i in range(0, len(over_http), 10)]
        ingest = asyncio.create_task(_ingest(publishing_client, batches, outage))
        watching = asyncio.create_task(_watch(reading_client, session_id, outage))
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            half = len(over_kafka) // 2
            await publisher.publish_many(over_kafka[:half])

            async def recording() -> bool:
                return await recorded_count(engine) > 0

            await wait_for(recording, within=120, what="recording to start")
            postgres.stop()
            outage.down = True
            outage.began.set()
            # Clinic systems go on publishing to Kafka while the database is down.
            await publisher.publish_many(over_kafka[half:])
            await asyncio.sleep(scale.outage_seconds)
            outage.down = False
            postgres.start()
            back = asyncio.get_running_loop().time()
        http_accepted = await ingest
        watching.cancel()
    acknowledged = event_ids(over_kafka) | http_accepted
    try:

        async def all_recorded() -> bool:
            return await recorded_count(engine) >= len(acknowledged)

        await wait_for(all_recorded, within=600, what="recording to resume and finish")
        await wait_for(lambda: projected_to_head(engine), within=600, what="the projector")
        recovery = asyncio.get_running_loop().time() - back
    finally:
        for process in processes:
            await process.stop()
    outcome = await count_outcome(engine, acknowledged)
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    answers = outage.answers
    refused = [a for a in answers["publish"] if a[0] == 503]
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario="PostgreSQL stopped mid-stream",
            injected=f"immediate shutdown for {scale.outage_seconds:.0f} s while clinics "
            "publish to Kafka and over HTTP",
            recovery_seconds=recovery,
            checks=f"while down: /readyz 503 x{len(answers['readyz'])}, reads 503 with "
            f"Retry-After x{len(answers['read'])}, publishes 503 x{len(refused)} (none "
            f"202); chains {'verify' if outcome.chains_intact else 'BROKEN'}; read models "
            f"{'equal' if live == rebuilt else 'DIFFER FROM'} a rebuild",
        )
    )
    assert answers["readyz"], "the API was never asked while the database was down"
    assert all(code == 503 for code, _ in answers["readyz"]), answers["readyz"]
    assert answers["read"]
    assert answers["publish"]
    assert all(code == 503 and retry for code, retry in answers["read"]), answers["read"]
    assert all(code == 503 and retry for code, retry in answers["publish"]), answers["publish"]
    assert http_accepted == event_ids(over_http)
    assert outcome.lost == 0, sorted(outcome.missing)[:5]
    assert outcome.duplicated == 0
    assert outcome.chains_intact
    assert live == rebuilt
