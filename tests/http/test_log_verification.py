"""``GET /v1/log/verify``: the chains re-computed, by an admin, one check at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.adapters.sql import SqlEventStore
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import SystemClock
from services.http.api import verification
from services.verification import VerificationReport
from tests.http.endpoints import VERIFY
from tests.http.serving import Api
from tests.http.support import CLINIC, tamper


async def test_an_untouched_log_is_intact_and_every_event_is_counted(api: Api) -> None:
    response = await api.client.get(VERIFY, headers=api.auth("admin"))

    assert response.status_code == 200
    body = response.json()
    assert body["intact"] is True
    assert body["events"] == await SqlEventStore(engine=api.engine).count()
    assert body["streams"] > 24
    assert (body["broken"], body["broken_elsewhere"]) == ([], 0)


async def test_a_modified_event_is_located_with_its_stream_and_event_id(api: Api) -> None:
    rows = await SqlEventStore(engine=api.engine).rows(limit=5000)
    target = next(row for row in rows if row.stream_id.startswith(f"{CLINIC}/session/"))
    await tamper(
        api.engine,
        "UPDATE event_log SET event_json = :forged WHERE position = :position",
        forged=target.event_json.replace('"clinic-demo"', '"clinic-demo" '),
        position=target.position,
    )

    body = (await api.client.get(VERIFY, headers=api.auth("admin"))).json()

    assert body["intact"] is False
    assert [(b["stream_id"], b["event_id"], b["problem"]) for b in body["broken"]] == [
        (target.stream_id, target.event_id, "modified")
    ]


async def test_a_compliance_officer_may_not_start_a_whole_log_check(api: Api) -> None:
    response = await api.client.get(VERIFY, headers=api.auth("officer"))

    assert response.status_code == 403


async def test_concurrent_requests_share_one_check_of_the_log(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = 0
    real = verification.verify_store

    async def counted(store: SqlEventStore, **options: Any) -> VerificationReport:
        nonlocal checks
        checks += 1
        return await real(store, **options)

    monkeypatch.setattr(verification, "verify_store", counted)

    answers = await asyncio.gather(
        *(api.client.get(VERIFY, headers=api.auth("admin")) for _ in range(8))
    )

    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.text for a in answers}) == 1
    assert checks == 1
    # The shared run is over: the next request checks the log afresh.
    await api.client.get(VERIFY, headers=api.auth("admin"))
    assert checks == 2


async def test_the_log_is_checked_against_the_newest_checkpoint_and_a_rewrite_is_named(
    api: Api,
) -> None:
    signer = Signer.parse(generate_key("kapaudit.local/log").signer)
    await CheckpointWriter(
        ledger=SqlCheckpointStore(engine=api.engine),
        publisher=None,
        signer=signer,
        origin="kapaudit.local/log",
        clock=SystemClock(),
    ).write()
    before = (await api.client.get(VERIFY, headers=api.auth("admin"))).json()
    size = await SqlEventStore(engine=api.engine).count()
    assert (before["intact"], before["checkpoint_size"], before["tree"]) == (True, size, [])

    [target] = await SqlEventStore(engine=api.engine).rows(limit=1)
    await tamper(
        api.engine,
        "UPDATE event_log SET event_json = :forged WHERE position = :position",
        forged=target.event_json.replace('"clinic-demo"', '"clinic-demo" '),
        position=target.position,
    )
    after = (await api.client.get(VERIFY, headers=api.auth("admin"))).json()

    assert after["intact"] is False
    assert [finding["problem"] for finding in after["tree"]] == ["rewritten", "tree_mismatch"]
