"""The API over the memory implementations of every port: no database, no broker.

What the handlers do does not depend on the store, so the same questions get the same
bodies from memory as from SQLite; and reads, publishing, readiness and proofs go
through the ports alone (``HttpContext`` holds no database engine).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest

from events import ACCESS_TOPIC, TOPIC
from services.adapters.memory import (
    InMemoryCheckpointStore,
    InMemoryComplianceQueries,
    InMemoryEventStore,
    InMemoryPublisher,
    InMemoryTokenStore,
)
from services.chain.merkle import verify_inclusion
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import FixedClock
from services.http import HttpContext, create_app
from services.proofs import LogProofs
from services.reading.access_auditor import AccessAuditor
from tests.factories import document
from tests.http.serving import Api
from tests.http.support import CLINIC, NOW, TOKENS, ZONES, record_seed

ORIGIN = "kapaudit.local/log"


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryApi:
    client: httpx.AsyncClient
    log: InMemoryEventStore
    published: InMemoryPublisher
    checkpoints: InMemoryCheckpointStore
    tokens: dict[str, str]

    def auth(self, token_name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[token_name]}"}


async def _context() -> tuple[HttpContext, InMemoryEventStore, InMemoryPublisher, dict[str, str]]:
    clock = FixedClock(at=NOW)
    log = InMemoryEventStore()
    await record_seed(log)
    tokens = InMemoryTokenStore()
    issued = {}
    for name, (role, clinics) in TOKENS.items():
        issued[name], _ = await tokens.create(name=name, role=role, clinics=clinics, now=NOW)
    await tokens.revoke("revoked", now=NOW)
    published = InMemoryPublisher()

    async def ready() -> bool:
        return True

    context = HttpContext(
        store=log,
        queries=InMemoryComplianceQueries(log=log, clock=clock, zones=ZONES),
        tokens=tokens,
        publisher=published,
        auditor=AccessAuditor(publisher=published, clock=clock),
        clock=clock,
        zones=ZONES,
        broker_ready=ready,
        database_ready=ready,
        proofs=LogProofs(tree=log, checkpoints=InMemoryCheckpointStore(log=log)),
        log_origin=ORIGIN,
    )
    return context, log, published, issued


@contextlib.asynccontextmanager
async def _serving(context: HttpContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def memory_api() -> AsyncIterator[MemoryApi]:
    context, log, published, tokens = await _context()
    checkpoints = InMemoryCheckpointStore(log=log)
    context = replace(context, proofs=LogProofs(tree=log, checkpoints=checkpoints))
    async with _serving(context) as client:
        yield MemoryApi(
            client=client, log=log, published=published, checkpoints=checkpoints, tokens=tokens
        )


QUESTIONS = [
    f"/v1/clinics/{CLINIC}/compliance-report?from=2026-11-24&to=2026-11-24",
    f"/v1/clinics/{CLINIC}/controlled-substances?from=2026-11-24&to=2026-11-24",
    f"/v1/sessions?clinic_id={CLINIC}&from=2026-11-24&to=2026-11-24",
]


async def test_memory_and_sqlite_answer_every_read_with_the_same_body(
    memory_api: MemoryApi, api: Api
) -> None:
    listed = await api.client.get(QUESTIONS[2], headers=api.auth("officer"))
    assert listed.status_code == 200, listed.text
    sessions = [line["session_id"] for line in listed.json()["items"]]
    assert len(sessions) > 3
    questions = QUESTIONS + [
        f"/v1/sessions/{session}/{view}"
        for session in sessions
        for view in ("compliance", "timeline")
    ]
    for question in questions:
        from_sqlite = await api.client.get(question, headers=api.auth("officer"))
        from_memory = await memory_api.client.get(question, headers=memory_api.auth("officer"))
        assert from_sqlite.status_code == 200, (question, from_sqlite.text)
        assert from_memory.json() == from_sqlite.json(), question


async def test_a_read_served_from_memory_is_recorded_on_the_access_topic(
    memory_api: MemoryApi,
) -> None:
    listed = await memory_api.client.get(QUESTIONS[2], headers=memory_api.auth("officer"))
    first = listed.json()["items"][0]
    before = len(memory_api.published.events(ACCESS_TOPIC))
    verdict = await memory_api.client.get(
        f"/v1/sessions/{first['session_id']}/compliance", headers=memory_api.auth("officer")
    )
    assert verdict.status_code == 200
    [read] = memory_api.published.events(ACCESS_TOPIC)[before:]
    assert read.event_type == "access.recorded"
    assert read.patient_id == first["patient_id"]
    assert read.payload.token_name == "officer"
    assert read.payload.resource == f"GET /v1/sessions/{first['session_id']}/compliance"


async def test_events_published_over_http_reach_the_publisher_port(
    memory_api: MemoryApi,
) -> None:
    sent = document("consent.given", clinic_id=CLINIC)
    answer = await memory_api.client.post(
        "/v1/events", json={"events": [sent]}, headers=memory_api.auth("publisher")
    )
    assert answer.status_code == 202, answer.text
    assert [str(e.event_id) for e in memory_api.published.events(TOPIC)] == [sent["event_id"]]


async def test_readiness_asks_the_database_port() -> None:
    context, *_ = await _context()

    async def down() -> bool:
        return False

    async with _serving(replace(context, database_ready=down)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": False, "broker": True}


async def test_an_inclusion_proof_from_memory_checks_against_its_checkpoint(
    memory_api: MemoryApi,
) -> None:
    writer = CheckpointWriter(
        ledger=memory_api.checkpoints,
        publisher=None,
        signer=Signer.parse(generate_key(ORIGIN).signer),
        origin=ORIGIN,
        clock=FixedClock(at=NOW),
    )
    await writer.write()
    [row] = await memory_api.log.rows(after_position=4, limit=1)
    answer = await memory_api.client.get(
        f"/v1/log/proofs/inclusion?event_id={row.event_id}", headers=memory_api.auth("officer")
    )
    assert answer.status_code == 200, answer.text
    latest = await memory_api.checkpoints.latest()
    assert latest is not None
    body = answer.json()
    assert body["leaf_index"] == 4
    assert body["tree_size"] == latest.size == await memory_api.log.count()
    proof = await LogProofs(tree=memory_api.log, checkpoints=memory_api.checkpoints).inclusion(
        row.event_id
    )
    verify_inclusion(
        proof.leaf_hash, 4, proof.tree_size, proof.hashes, bytes.fromhex(latest.root_hash)
    )
