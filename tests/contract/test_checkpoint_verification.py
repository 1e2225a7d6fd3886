"""Attacks the hash chains cannot see, caught by the signed checkpoint (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.chain import chain_hash, record_bytes
from services.chain.note import Signer, generate_key
from services.chain.tree_check import TreeProblem
from services.checkpointing import CheckpointWriter
from services.clock import FixedClock
from services.verification import verify_store
from tests.factories import session_documents, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ORIGIN = "kapaudit.test/log"
SIGNER = Signer.parse(generate_key(ORIGIN).signer)


@pytest.fixture
async def store(engine: AsyncEngine) -> SqlEventStore:
    """Two sessions of four events, then a signed checkpoint of all eight."""
    store = SqlEventStore(engine=engine)
    for session in ("s-1", "s-2"):
        docs = session_documents(session, 4, start=NOW)
        await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    await CheckpointWriter(
        ledger=SqlCheckpointStore(engine=engine),
        publisher=None,
        signer=SIGNER,
        origin=ORIGIN,
        clock=FixedClock(at=NOW),
    ).write()
    return store


async def _verify(store: SqlEventStore) -> tuple[list[object], list[TreeProblem]]:
    report = await verify_store(store, verifiers=[SIGNER.verifier], origin=ORIGIN)
    assert report.checkpoint is not None
    assert report.checkpoint.size == 8
    return [b.problem for b in report.broken], [f.problem for f in report.tree]


async def _tamper(engine: AsyncEngine, *statements: tuple[str, dict[str, object]]) -> None:
    """Change the log as an attacker with the owner's rights would: triggers off."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE event_log DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER event_log_no_update"))
            await connection.execute(text("DROP TRIGGER event_log_no_delete"))
        for statement, params in statements:
            await connection.execute(text(statement), params)
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE event_log ENABLE TRIGGER USER"))


async def test_an_intact_log_checks_against_its_signed_checkpoint(store: SqlEventStore) -> None:
    report = await verify_store(store, verifiers=[SIGNER.verifier], origin=ORIGIN)
    assert report.intact
    assert report.checkpoint is not None
    assert report.checkpoint.signed_by == (f"{ORIGIN}+{SIGNER.key_id:08x}",)


async def test_deleting_the_tail_of_the_log_is_named_truncation(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    last_two = [row.position for row in await store.rows()][-2:]
    await _tamper(engine, (f"DELETE FROM event_log WHERE position IN {tuple(last_two)}", {}))
    broken, tree = await _verify(store)
    assert broken == []  # every remaining link of every chain still checks
    assert tree == [TreeProblem.TRUNCATED, TreeProblem.TREE_MISMATCH]


async def test_deleting_the_tail_of_a_stream_inside_the_log_is_caught(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    rows = await store.rows()
    s1_tail = [row.position for row in rows if row.stream_id.endswith("/s-1")][-1]
    await _tamper(engine, (f"DELETE FROM event_log WHERE position = {s1_tail}", {}))
    broken, tree = await _verify(store)
    assert broken == []
    assert tree == [TreeProblem.TRUNCATED, TreeProblem.TREE_MISMATCH]


async def test_a_stream_rehashed_from_an_edited_event_on_is_named_a_rewrite(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    rows = [row for row in await store.rows() if row.stream_id.endswith("/s-1")]
    statements = []
    prev = rows[1].hash
    for number, row in enumerate(rows[2:]):
        body = (
            row.event_json.replace('"systolic_mmhg":', '"systolic_mmhg":1')
            if number == 0
            else row.event_json
        )
        digest = chain_hash(
            prev_hash=prev,
            record=record_bytes(
                event_json=body,
                stream_id=row.stream_id,
                sequence=row.sequence,
                recorded_at=row.recorded_at,
            ),
        )
        statements.append(
            (
                "UPDATE event_log SET event_json = :body, prev_hash = :prev, hash = :digest "
                "WHERE position = :position",
                {"body": body, "prev": prev, "digest": digest, "position": row.position},
            )
        )
        prev = digest
    assert statements[0][1]["body"] != rows[2].event_json
    await _tamper(engine, *statements)
    broken, tree = await _verify(store)
    assert broken == []  # a consistent chain: only the tree sees it
    assert tree == [TreeProblem.REWRITTEN, TreeProblem.TREE_MISMATCH]


async def test_a_checkpoint_signed_by_an_untrusted_key_is_named(store: SqlEventStore) -> None:
    stranger = Signer.parse(generate_key(ORIGIN).signer)
    report = await verify_store(store, verifiers=[stranger.verifier], origin=ORIGIN)
    assert [f.problem for f in report.tree] == [TreeProblem.UNTRUSTED]
    assert not report.intact


async def test_a_rotated_key_still_verifies_the_checkpoints_it_signed(
    store: SqlEventStore,
) -> None:
    new_key = Signer.parse(generate_key(ORIGIN).signer)
    report = await verify_store(store, verifiers=[new_key.verifier, SIGNER.verifier], origin=ORIGIN)
    assert report.intact
    assert report.checkpoint is not None
    assert report.checkpoint.signed_by == (f"{ORIGIN}+{SIGNER.key_id:08x}",)
