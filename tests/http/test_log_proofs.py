"""Checkpoints and Merkle proofs over HTTP: hashes only, inclusion scoped by clinic."""

from __future__ import annotations

from base64 import b64decode

import pytest

from services.adapters.sql import SqlEventStore
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.chain import record_bytes
from services.chain.checkpoint import open_checkpoint
from services.chain.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import SystemClock
from tests.http.serving import Api
from tests.http.support import CLINIC, OTHER_CLINIC

ORIGIN = "kapaudit.local/log"
SIGNER = Signer.parse(generate_key(ORIGIN).signer)
LATEST = "/v1/log/checkpoints/latest"
INCLUSION = "/v1/log/proofs/inclusion"
CONSISTENCY = "/v1/log/proofs/consistency"


async def _checkpoint(api: Api) -> None:
    await CheckpointWriter(
        ledger=SqlCheckpointStore(engine=api.engine),
        publisher=None,
        signer=SIGNER,
        origin=ORIGIN,
        clock=SystemClock(),
    ).write()


def _root(note: str) -> bytes:
    return open_checkpoint(note, verifiers=[SIGNER.verifier], origin=ORIGIN).checkpoint.root_hash


async def test_the_latest_checkpoint_is_the_signed_note_of_the_whole_log(api: Api) -> None:
    assert (await api.client.get(LATEST, headers=api.auth("regulator"))).status_code == 404
    await _checkpoint(api)
    body = (await api.client.get(LATEST, headers=api.auth("regulator"))).json()
    assert body["size"] == await SqlEventStore(engine=api.engine).count()
    assert b64decode(body["root_hash"]) == _root(body["note"])


async def test_an_inclusion_proof_of_a_clinics_event_checks_against_the_checkpoint(
    api: Api,
) -> None:
    await _checkpoint(api)
    rows = await SqlEventStore(engine=api.engine).rows(limit=5000)
    index, target = next((i, r) for i, r in enumerate(rows) if r.clinic_id == CLINIC)
    response = await api.client.get(
        INCLUSION, params={"event_id": target.event_id}, headers=api.auth("officer")
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "event_id", "leaf_index", "tree_size", "leaf_hash", "hashes", "checkpoint"
    }  # fmt: skip
    assert body["leaf_index"] == index
    verify_inclusion(
        b64decode(body["leaf_hash"]),
        index,
        body["tree_size"],
        [b64decode(h) for h in body["hashes"]],
        _root(body["checkpoint"]),
    )


@pytest.mark.parametrize("token", ["officer", "regulator"])
async def test_another_clinics_event_is_answered_like_a_missing_one(api: Api, token: str) -> None:
    await _checkpoint(api)
    rows = await SqlEventStore(engine=api.engine).rows(limit=5000)
    theirs = next(r for r in rows if r.clinic_id == OTHER_CLINIC)
    other = await api.client.get(
        INCLUSION, params={"event_id": theirs.event_id}, headers=api.auth(token)
    )
    missing = await api.client.get(
        INCLUSION,
        params={"event_id": "00000000-0000-4000-8000-000000000000"},
        headers=api.auth(token),
    )
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json() == {"detail": f"no event {theirs.event_id} in the log"}
    assert missing.json() == {"detail": "no event 00000000-0000-4000-8000-000000000000 in the log"}


async def test_a_publisher_gets_no_proofs(api: Api) -> None:
    response = await api.client.get(
        CONSISTENCY, params={"from": 0, "to": 0}, headers=api.auth("publisher")
    )
    assert response.status_code == 403


async def test_a_consistency_proof_links_two_checkpoints(api: Api) -> None:
    await _checkpoint(api)
    size = await SqlEventStore(engine=api.engine).count()
    old = 7
    response = await api.client.get(
        CONSISTENCY, params={"from": old, "to": size}, headers=api.auth("regulator")
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["from_size"], body["from_checkpoint"]) == (old, None)
    assert body["to_size"] == size
    leaves = [
        leaf_hash(
            record_bytes(
                event_json=r.event_json,
                stream_id=r.stream_id,
                sequence=r.sequence,
                recorded_at=r.recorded_at,
            )
        )
        for r in await SqlEventStore(engine=api.engine).rows(limit=5000)
    ]
    verify_consistency(
        old,
        size,
        root(leaves[:old]),
        _root(body["to_checkpoint"]),
        [b64decode(h) for h in body["hashes"]],
    )
    too_far = await api.client.get(
        CONSISTENCY, params={"from": 0, "to": size + 1}, headers=api.auth("regulator")
    )
    assert too_far.status_code == 404
