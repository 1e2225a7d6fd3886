"""Proofs of the log on every backend (memory, SQLite, PostgreSQL): each one checks, by
RFC 9162, against the root its signed checkpoint names, and what cannot be proven is
refused in words that say why."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.chain.merkle import verify_consistency, verify_inclusion
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import FixedClock
from services.proofs import LogProofs, ProofUnavailableError
from tests.contract.conftest import Backend
from tests.factories import document, session_documents, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ORIGIN = "kapaudit.test/log"


def _proofs(backend: Backend) -> LogProofs:
    return LogProofs(tree=backend.proof_tree(), checkpoints=backend.checkpoint_store())


async def _checkpoint(backend: Backend) -> bytes:
    """Sign the log as it stands; returns the root the checkpoint names."""
    writer = CheckpointWriter(
        ledger=backend.checkpoint_store(),
        publisher=None,
        signer=Signer.parse(generate_key(ORIGIN).signer),
        origin=ORIGIN,
        clock=FixedClock(at=NOW),
    )
    await writer.write()
    latest = await backend.checkpoint_store().latest()
    assert latest is not None
    return bytes.fromhex(latest.root_hash)


async def _record(backend: Backend, count: int, *, session: str) -> list[str]:
    docs = session_documents(session, count, start=NOW)
    await backend.event_store().record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    return [d["event_id"] for d in docs]


async def test_every_event_has_an_inclusion_proof_that_checks_against_the_checkpoint(
    backend: Backend,
) -> None:
    ids = await _record(backend, 13, session="s-1")
    root = await _checkpoint(backend)
    proofs = _proofs(backend)
    for index, event_id in enumerate(ids):
        proof = await proofs.inclusion(event_id)
        assert (proof.leaf_index, proof.tree_size) == (index, 13)
        assert proof.checkpoint.startswith(f"{ORIGIN}\n13\n")
        verify_inclusion(proof.leaf_hash, proof.leaf_index, proof.tree_size, proof.hashes, root)


async def test_a_consistency_proof_links_two_checkpoints_of_a_growing_log(
    backend: Backend,
) -> None:
    await _record(backend, 5, session="s-1")
    old_root = await _checkpoint(backend)
    await _record(backend, 9, session="s-2")
    new_root = await _checkpoint(backend)
    proof = await _proofs(backend).consistency(5, 14)
    assert proof.old_checkpoint is not None
    assert proof.old_checkpoint.startswith(f"{ORIGIN}\n5\n")
    assert proof.new_checkpoint is not None
    assert proof.new_checkpoint.startswith(f"{ORIGIN}\n14\n")
    verify_consistency(5, 14, old_root, new_root, proof.hashes)
    # A size no checkpoint was written for is still proven, without a note.
    unsigned = await _proofs(backend).consistency(3, 14)
    assert unsigned.old_checkpoint is None
    assert unsigned.hashes


async def test_an_inclusion_proof_in_an_older_checkpoint_is_against_that_checkpoint(
    backend: Backend,
) -> None:
    [first, *_] = await _record(backend, 4, session="s-1")
    old_root = await _checkpoint(backend)
    await _record(backend, 4, session="s-2")
    await _checkpoint(backend)
    proof = await _proofs(backend).inclusion(first, size=4)
    assert proof.tree_size == 4
    verify_inclusion(proof.leaf_hash, proof.leaf_index, 4, proof.hashes, old_root)


async def test_an_event_after_the_newest_checkpoint_must_wait_for_the_next(
    backend: Backend,
) -> None:
    await _record(backend, 3, session="s-1")
    await _checkpoint(backend)
    [late] = await _record(backend, 1, session="s-2")
    with pytest.raises(ProofUnavailableError, match=f"event {late} is entry 3, after the"):
        await _proofs(backend).inclusion(late)


async def test_a_missing_event_and_one_the_reader_may_not_see_are_refused_alike(
    backend: Backend,
) -> None:
    other = document("consent.given", clinic_id="clinic-other")
    await backend.event_store().record(valid=[valid(other)], invalid=[], recorded_at=NOW)
    await _checkpoint(backend)
    proofs = _proofs(backend)
    unknown = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ProofUnavailableError) as missing:
        await proofs.inclusion(unknown)
    with pytest.raises(ProofUnavailableError) as hidden:
        await proofs.inclusion(other["event_id"], may_see=lambda clinic: clinic != "clinic-other")
    assert str(missing.value) == f"no event {unknown} in the log"
    assert str(hidden.value) == f"no event {other['event_id']} in the log"


async def test_no_proof_is_offered_before_any_checkpoint_or_past_the_end_of_the_log(
    backend: Backend,
) -> None:
    [event_id] = await _record(backend, 1, session="s-1")
    proofs = _proofs(backend)
    assert await proofs.latest_checkpoint() is None
    with pytest.raises(ProofUnavailableError, match=r"^no checkpoint yet$"):
        await proofs.inclusion(event_id)
    with pytest.raises(ProofUnavailableError, match=r"^no checkpoint of size 7$"):
        await proofs.inclusion(event_id, size=7)
    with pytest.raises(ProofUnavailableError, match=re.escape("fewer than 5 entries")):
        await proofs.consistency(1, 5)
    with pytest.raises(ProofUnavailableError, match="no proof from size 2 to size 1"):
        await proofs.consistency(2, 1)
