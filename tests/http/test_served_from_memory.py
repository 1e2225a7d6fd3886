"""The API over the memory implementations of every port: no database, no broker.

What the handlers do does not depend on the store, so the same questions get the same
bodies from memory as from SQLite; and reads, publishing, readiness and proofs go
through the ports alone (``HttpContext`` holds no database engine).
"""

from __future__ import annotations

from base64 import b64decode
from dataclasses import replace

from events import ACCESS_TOPIC, TOPIC
from services.chain.merkle import verify_inclusion
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import FixedClock
from tests.factories import document
from tests.http.serving import Api, MemoryPorts, memory_context, serving_context
from tests.http.support import CLINIC, NOW

LOG_ORIGIN = "kapaudit.local/log"
"""``HttpContext``'s default origin: the checkpoints the proofs are read against name it."""


def _ports(api: Api) -> MemoryPorts:
    assert api.memory is not None, "served from SQL"
    return api.memory


QUESTIONS = [
    f"/v1/clinics/{CLINIC}/compliance-report?from=2026-11-24&to=2026-11-24",
    f"/v1/clinics/{CLINIC}/controlled-substances?from=2026-11-24&to=2026-11-24",
    f"/v1/sessions?clinic_id={CLINIC}&from=2026-11-24&to=2026-11-24",
]


async def test_memory_and_sqlite_answer_every_read_with_the_same_body(
    memory_api: Api, sql_api: Api
) -> None:
    listed = await sql_api.client.get(QUESTIONS[2], headers=sql_api.auth("officer"))
    assert listed.status_code == 200, listed.text
    sessions = [line["session_id"] for line in listed.json()["items"]]
    assert len(sessions) > 3
    questions = QUESTIONS + [
        f"/v1/sessions/{session}/{view}"
        for session in sessions
        for view in ("compliance", "timeline")
    ]
    for question in questions:
        from_sqlite = await sql_api.client.get(question, headers=sql_api.auth("officer"))
        from_memory = await memory_api.client.get(question, headers=memory_api.auth("officer"))
        assert from_sqlite.status_code == 200, (question, from_sqlite.text)
        assert from_memory.json() == from_sqlite.json(), question


async def test_a_read_served_from_memory_is_recorded_on_the_access_topic(
    memory_api: Api,
) -> None:
    listed = await memory_api.client.get(QUESTIONS[2], headers=memory_api.auth("officer"))
    first = listed.json()["items"][0]
    before = len(_ports(memory_api).published.events(ACCESS_TOPIC))
    verdict = await memory_api.client.get(
        f"/v1/sessions/{first['session_id']}/compliance", headers=memory_api.auth("officer")
    )
    assert verdict.status_code == 200
    [read] = _ports(memory_api).published.events(ACCESS_TOPIC)[before:]
    assert read.event_type == "access.recorded"
    assert read.patient_id == first["patient_id"]
    assert read.payload.token_name == "officer"
    assert read.payload.resource == f"GET /v1/sessions/{first['session_id']}/compliance"


async def test_events_published_over_http_reach_the_publisher_port(
    memory_api: Api,
) -> None:
    sent = document("consent.given", clinic_id=CLINIC)
    answer = await memory_api.client.post(
        "/v1/events", json={"events": [sent]}, headers=memory_api.auth("publisher")
    )
    assert answer.status_code == 202, answer.text
    assert [str(e.event_id) for e in _ports(memory_api).published.events(TOPIC)] == [
        sent["event_id"]
    ]


async def test_readiness_asks_the_database_port() -> None:
    context, _, tokens = await memory_context()

    async def down() -> bool:
        return False

    async with serving_context(replace(context, database_ready=down), tokens=tokens) as served:
        answer = await served.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": False, "broker": True}


async def test_an_inclusion_proof_from_memory_checks_against_its_checkpoint(
    memory_api: Api,
) -> None:
    ports = _ports(memory_api)
    writer = CheckpointWriter(
        ledger=ports.checkpoints,
        publisher=None,
        signer=Signer.parse(generate_key(LOG_ORIGIN).signer),
        origin=LOG_ORIGIN,
        clock=FixedClock(at=NOW),
    )
    await writer.write()
    latest = await ports.checkpoints.latest()
    assert latest is not None
    [row] = await ports.log.rows(after_position=4, limit=1)
    answer = await memory_api.client.get(
        f"/v1/log/proofs/inclusion?event_id={row.event_id}", headers=memory_api.auth("officer")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["leaf_index"], body["tree_size"]) == (4, await ports.log.count())
    assert body["checkpoint"] == latest.note_text
    verify_inclusion(
        b64decode(body["leaf_hash"]),
        4,
        body["tree_size"],
        [b64decode(h) for h in body["hashes"]],
        bytes.fromhex(latest.root_hash),
    )
