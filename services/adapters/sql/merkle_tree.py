"""The log's Merkle tree in SQL: leaves and perfect subtrees kept with the rows they hash.

The store appends leaves in the transaction that appends their rows, under the lock
that makes commit order position order, so the tree always covers exactly the
committed log in position order. Roots and proofs read the O(log n) subtree hashes
they need in one query; nothing rehashes the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.adapters.sql.bulk_insert import insert_many
from services.adapters.sql.tables import event_log, merkle_leaves, merkle_nodes
from services.chain.compact_range import CompactRange
from services.chain.merkle import (
    NodeId,
    ProofPlan,
    assemble_proof,
    consistency_plan,
    inclusion_plan,
    perfect_cover,
)
from services.proofs import LeafNotFoundError

__all__ = ["SqlMerkleTree", "append_leaves", "fetch_nodes", "tree_state"]

# Keeps OR lists and multi-row inserts well under the backends' parameter limits.
_CHUNK = 300


async def fetch_nodes(connection: AsyncConnection, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    """The stored hashes of ``ids``; raises ``LookupError`` if any is missing."""
    wanted = sorted(set(ids))
    found: dict[NodeId, bytes] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        leaves = [n.index for n in chunk if n.level == 0]
        nodes = [n for n in chunk if n.level > 0]
        # One round trip: the leaves from merkle_leaves, the subtrees from merkle_nodes.
        queries = []
        if leaves:
            queries.append(
                select(
                    literal(0).label("level"), merkle_leaves.c.leaf_index, merkle_leaves.c.hash
                ).where(merkle_leaves.c.leaf_index.in_(leaves))
            )
        if nodes:
            queries.append(
                select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(
                    or_(
                        *(
                            and_(merkle_nodes.c.level == n.level, merkle_nodes.c.idx == n.index)
                            for n in nodes
                        )
                    )
                )
            )
        if not queries:
            continue
        query = queries[0] if len(queries) == 1 else union_all(*queries)
        for level, index, digest in await connection.execute(query):
            found[NodeId(int(level), int(index))] = bytes(digest)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"the Merkle tree has no node {missing[0]}")
    return found


async def tree_size(connection: AsyncConnection) -> int:
    last = (await connection.execute(select(func.max(merkle_leaves.c.leaf_index)))).scalar_one()
    return 0 if last is None else int(last) + 1


async def tree_state(connection: AsyncConnection, size: int | None = None) -> CompactRange:
    """The frontier of the tree of the first ``size`` leaves (default: all of them)."""
    if size is None:
        size = await tree_size(connection)
    nodes = await fetch_nodes(connection, perfect_cover(0, size))
    return CompactRange.from_nodes(
        size=size, nodes=lambda level, index: nodes[NodeId(level, index)]
    )


async def append_leaves(
    connection: AsyncConnection, leaves: Sequence[tuple[int, bytes]]
) -> CompactRange:
    """Append ``(position, leaf hash)`` pairs, in position order, to the stored tree.

    Must run in the transaction that inserted those rows, holding the writers' lock.
    """
    state = await tree_state(connection)
    if not leaves:
        return state
    leaf_rows = []
    node_rows: list[dict[str, object]] = []

    def keep(node: NodeId, digest: bytes) -> None:
        if node.level:  # a leaf's hash is kept in its merkle_leaves row
            node_rows.append({"level": node.level, "idx": node.index, "hash": digest})

    for position, digest in leaves:
        leaf_rows.append({"leaf_index": state.size, "position": position, "hash": digest})
        state = state.append(digest, visit=keep)
    await insert_many(connection, merkle_leaves, leaf_rows)
    await insert_many(connection, merkle_nodes, node_rows)
    return state


class SqlMerkleTree:
    """Read side of the tree (``ProofTree``): sizes, roots and proofs, each from a handful
    of rows."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def state(self, size: int | None = None) -> CompactRange:
        async with self._engine.connect() as connection:
            return await tree_state(connection, size)

    async def leaf_of(self, event_id: str) -> tuple[int, str]:
        """The leaf index of the event ``event_id`` and its clinic (whoever asks must cover
        it); ``LeafNotFoundError`` if it is not in the log."""
        index, clinic_id, _ = await self.leaf(event_id)
        return index, clinic_id

    async def leaf(self, event_id: str) -> tuple[int, str, bytes]:
        """``leaf_of`` and the leaf's hash, in one query (an inclusion proof needs all three)."""
        query = (
            select(merkle_leaves.c.leaf_index, event_log.c.clinic_id, merkle_leaves.c.hash)
            .join(event_log, event_log.c.position == merkle_leaves.c.position)
            .where(event_log.c.event_id == event_id)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            raise LeafNotFoundError(event_id)
        return int(row.leaf_index), str(row.clinic_id), bytes(row.hash)

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        # The path of a leaf the tree holds always covers leaf size - 1 (or is that leaf),
        # so a size past the tree shows up as a missing node: no size query needed.
        return await self._proof(inclusion_plan(index, size), size, check_size=False)

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        # An empty plan (from 0, or to the same size) fetches nothing: check the size.
        return await self._proof(consistency_plan(old_size, new_size), new_size, check_size=True)

    async def _proof(self, plan: ProofPlan, size: int, *, check_size: bool) -> list[bytes]:
        async with self._engine.connect() as connection:
            if check_size and size > await tree_size(connection):
                raise LeafNotFoundError(f"the tree has fewer than {size} leaves")
            try:
                nodes = await fetch_nodes(connection, (n for step in plan for n in step))
            except LookupError:
                raise LeafNotFoundError(f"the tree has fewer than {size} leaves") from None
        return assemble_proof(plan, lambda level, index: nodes[NodeId(level, index)])
