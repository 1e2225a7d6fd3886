"""The broker stopped and restarted under HTTP ingest: the API never answers 202 for an
event the broker did not take, and ingest resumes once the broker is back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import ensure_topics
from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from services.http.availability import BROKER_TIMEOUT_SECONDS
from tests.faults.reliability import Reliability, ScenarioFigures
from tests.faults.support import (
    Scale,
    clinic_fleet,
    count_outcome,
    environment,
    kapaudit,
    now,
    projected_to_head,
    read_models,
    rebuilt_read_models,
    recorded_count,
    wait_for,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Ingest:
    """A clinic system publishing over HTTP, sending a refused batch again after a pause."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.accepted: set[str] = set()
        self.down = False
        self.answers_while_down: list[int] = []
        self.attempts = 0

    async def send(self, batches: list[list[dict[str, Any]]]) -> None:
        for batch in batches:
            while True:
                self.attempts += 1
                down_before = self.down
                response = await self._post(batch)
                status = 0 if response is None else response.status_code
                if down_before and self.down:
                    self.answers_while_down.append(status)
                if response is not None and status == 202:
                    self.accepted.update(response.json()["accepted"])
                    break
                assert status in (0, 503), status
                await asyncio.sleep(0.5)

    async def _post(self, batch: list[dict[str, Any]]) -> httpx.Response | None:
        request: Awaitable[httpx.Response] = self.client.post("/v1/events", json={"events": batch})
        try:
            return await request
        except httpx.TransportError:
            return None


async def test_a_broker_restart_under_http_ingest_gets_no_false_202_and_ingest_resumes(
    database: tuple[str, AsyncEngine], scale: Scale, reliability: Reliability
) -> None:
    url, engine = database
    # Long enough for publishes to be refused while it lasts: the API waits this long
    # for the broker before it answers 503.
    down_for = max(scale.outage_seconds, 2 * BROKER_TIMEOUT_SECONDS + 2)
    broker = EmbeddedBroker(port=_free_port())
    await broker.start()
    env = {**environment(broker, url), "KAPAUDIT_HTTP_PORT": str(_free_port())}
    documents = clinic_fleet(scale.events // 2)
    clinics = sorted({str(d["clinic_id"]) for d in documents})
    token, _ = await SqlTokenStore(engine=engine).create(
        name="ehr", role=Role.PUBLISHER, clinics=clinics, now=now()
    )
    await ensure_topics(bootstrap_servers=broker.bootstrap_servers, partitions=4)
    processes = [
        kapaudit(command, env=env, name=f"broker-restart-{command}")
        for command in ("record", "project", "serve")
    ]
    recorder = processes[0]
    for process in processes:
        await process.start()
    batches = [documents[i : i + 50] for i in range(0, len(documents), 50)]
    half = len(batches) // 2
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{env['KAPAUDIT_HTTP_PORT']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ) as client:

            async def serving() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(serving, within=120, what="the API to serve")
            ingest = _Ingest(client)
            await ingest.send(batches[:half])
            before = len(ingest.accepted)

            async def first_half_recorded() -> bool:
                return await recorded_count(engine) >= before

            # Everything acknowledged so far is in the log before the broker goes: the
            # embedded broker forgets what it held when it stops (a production Kafka
            # with replicas does not; see the settings below the table).
            await wait_for(first_half_recorded, within=300, what="the first half")
            # The embedded broker comes back empty, numbering offsets from 0 again. A
            # recorder living through that would rejoin with positions into the old log,
            # or leave a dead member in the new group that holds every partition until the
            # group gives up on it. A production Kafka keeps its log, offsets and groups
            # across a restart; a wiped one has its consumer group reset by the operator,
            # which stopping the recorder with the broker and starting it after does here
            # (it reads the new log from its start: the group has no offsets there).
            await recorder.kill()
            await broker.stop()
            ingest.down = True
            sending = asyncio.create_task(ingest.send(batches[half:]))
            await asyncio.sleep(down_for)
            ingest.down = False
            await broker.start()
            await ensure_topics(bootstrap_servers=broker.bootstrap_servers, partitions=4)
            await recorder.start()
            back = asyncio.get_running_loop().time()
            await sending

        async def all_recorded() -> bool:
            return await recorded_count(engine) >= len(ingest.accepted)

        await wait_for(all_recorded, within=300, what="ingest to resume and be recorded")
        await wait_for(lambda: projected_to_head(engine), within=300, what="the projector")
        recovery = asyncio.get_running_loop().time() - back
    finally:
        for process in processes:
            await process.stop()
        await broker.stop()
    outcome = await count_outcome(engine, ingest.accepted)
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    refused = ingest.answers_while_down
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario="Broker stopped and restarted under HTTP ingest",
            injected=f"embedded broker down {down_for:.0f} s (memory emptied; the recorder "
            "restarted with it) while a clinic system publishes over HTTP",
            recovery_seconds=recovery,
            checks=f"while down: {len(refused)} publishes refused (503 or no answer), "
            f"{refused.count(202)} answered 202; chains "
            f"{'verify' if outcome.chains_intact else 'BROKEN'}; read models "
            f"{'equal' if live == rebuilt else 'DIFFER FROM'} a rebuild",
        )
    )
    assert refused, "no publish was attempted while the broker was down"
    assert 202 not in refused
    assert ingest.accepted == {str(d["event_id"]) for d in documents}
    assert outcome.lost == 0, sorted(outcome.missing)[:5]
    assert outcome.duplicated == 0
    assert outcome.chains_intact
    assert live == rebuilt
