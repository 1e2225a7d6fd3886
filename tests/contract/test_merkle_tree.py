"""The log's Merkle tree as the store keeps it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore
from services.adapters.sql.merkle_tree import SqlMerkleTree
from services.adapters.sql.migrate import alembic_config, upgrade_schema
from services.chain import record_bytes
from services.chain.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from tests.factories import session_documents, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _record_sessions(store: SqlEventStore, *counts: int) -> None:
    for number, count in enumerate(counts):
        docs = session_documents(f"s-{number}", count, start=NOW)
        await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)


async def _leaf_hashes_of_the_rows(store: SqlEventStore) -> list[bytes]:
    return [
        leaf_hash(
            record_bytes(
                event_json=row.event_json,
                stream_id=row.stream_id,
                sequence=row.sequence,
                recorded_at=row.recorded_at,
            )
        )
        for row in await store.rows(limit=10_000)
    ]


async def test_the_stored_tree_has_one_leaf_per_row_in_position_order(engine: AsyncEngine) -> None:
    store = SqlEventStore(engine=engine)
    await _record_sessions(store, 3, 1, 6, 2)
    state = await SqlMerkleTree(engine=engine).state()
    leaves = await _leaf_hashes_of_the_rows(store)
    assert state.size == len(leaves) == 12
    assert state.root() == root(leaves)


async def test_an_older_tree_size_has_the_root_of_its_first_leaves(engine: AsyncEngine) -> None:
    store = SqlEventStore(engine=engine)
    await _record_sessions(store, 5, 4)
    leaves = await _leaf_hashes_of_the_rows(store)
    assert (await SqlMerkleTree(engine=engine).state(5)).root() == root(leaves[:5])


async def test_proofs_from_the_stored_nodes_verify_against_the_roots(engine: AsyncEngine) -> None:
    store = SqlEventStore(engine=engine)
    await _record_sessions(store, 7, 6)
    tree = SqlMerkleTree(engine=engine)
    leaves = await _leaf_hashes_of_the_rows(store)
    rows = await store.rows()
    assert await tree.leaf_of(rows[9].event_id) == (9, rows[9].clinic_id)
    verify_inclusion(leaves[9], 9, 13, await tree.inclusion_proof(9, 13), root(leaves))
    verify_consistency(5, 13, root(leaves[:5]), root(leaves), await tree.consistency_proof(5, 13))


async def _downgrade(engine: AsyncEngine, *, to: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, to)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_the_migration_builds_the_tree_of_a_log_recorded_before_it(
    engine: AsyncEngine,
) -> None:
    store = SqlEventStore(engine=engine)
    await _record_sessions(store, 4, 3)
    await _downgrade(engine, to="0007")
    await upgrade_schema(engine)
    state = await SqlMerkleTree(engine=engine).state()
    assert (state.size, state.root()) == (7, root(await _leaf_hashes_of_the_rows(store)))
    await _record_sessions(store, 0, 0, 2)
    after = await SqlMerkleTree(engine=engine).state()
    assert after.root() == root(await _leaf_hashes_of_the_rows(store))


@pytest.mark.parametrize(
    "statement", ["UPDATE merkle_nodes SET idx = idx + 100", "DELETE FROM merkle_leaves"]
)
async def test_the_database_rejects_changes_to_the_tree(
    engine: AsyncEngine, statement: str
) -> None:
    await _record_sessions(SqlEventStore(engine=engine), 2)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text(statement))
