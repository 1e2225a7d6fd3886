"""The Merkle tree over the whole log and its signed checkpoints, all append-only.

Revision ID: 0008
Revises: 0007

Leaf i is ``SHA-256(0x00 || record bytes)`` of the i-th ``event_log`` row in position
order (docs/LOG-FORMAT.md). An existing log is backfilled here page by page, keeping
only the tree's frontier in memory, so a large log upgrades in bounded memory. The same
triggers as on ``event_log`` refuse UPDATE, DELETE and TRUNCATE.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.adapters.sql.types import UtcDateTime
from services.chain.compact_range import CompactRange
from services.chain.links import record_bytes
from services.chain.merkle import NodeId, leaf_hash

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_GUARDED = ("merkle_leaves", "merkle_nodes", "checkpoints")
_PAGE = 5000


def upgrade() -> None:
    op.create_table(
        "merkle_leaves",
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.UniqueConstraint("position", name="uq_merkle_leaves_position"),
    )
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("note_text", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(300), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_checkpoints_size", "checkpoints", ["size"])
    _backfill_tree()
    for table in _GUARDED:
        _guard(table)


def _backfill_tree() -> None:
    bind = op.get_bind()
    log = sa.table(
        "event_log",
        sa.column("position", sa.BigInteger),
        sa.column("stream_id", sa.String),
        sa.column("sequence", sa.BigInteger),
        sa.column("recorded_at", UtcDateTime),
        sa.column("event_json", sa.Text),
    )
    leaves = sa.table(
        "merkle_leaves", sa.column("leaf_index"), sa.column("position"), sa.column("hash")
    )
    nodes = sa.table("merkle_nodes", sa.column("level"), sa.column("idx"), sa.column("hash"))
    state = CompactRange()
    after = 0
    while True:
        page = bind.execute(
            sa.select(log.c.position, log.c.stream_id, log.c.sequence, log.c.recorded_at)
            .add_columns(log.c.event_json)
            .where(log.c.position > after)
            .order_by(log.c.position)
            .limit(_PAGE)
        ).all()
        if not page:
            return
        leaf_rows = []
        node_rows: list[dict[str, object]] = []

        def keep(node: NodeId, digest: bytes, rows: list[dict[str, object]] = node_rows) -> None:
            if node.level:  # leaf hashes go into merkle_leaves
                rows.append({"level": node.level, "idx": node.index, "hash": digest})

        for row in page:
            record = record_bytes(
                event_json=row.event_json,
                stream_id=row.stream_id,
                sequence=row.sequence,
                recorded_at=row.recorded_at,
            )
            digest = leaf_hash(record)
            leaf_rows.append({"leaf_index": state.size, "position": row.position, "hash": digest})
            state = state.append(digest, visit=keep)
        bind.execute(sa.insert(leaves), leaf_rows)
        if node_rows:
            bind.execute(sa.insert(nodes), node_rows)
        after = page[-1].position


def downgrade() -> None:
    # The tree is derived from the log and rebuilt by upgrade(). The checkpoints are
    # evidence, but their copies on kap.checkpoints.v1 are outside the database, and
    # an owner who may drop tables could drop these anyway.
    for table in reversed(_GUARDED):
        op.drop_table(table)


def _guard(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # kapaudit_reject_mutation() was created by 0001.
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kapaudit_reject_mutation()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kapaudit_reject_mutation()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} rejected'); END"
        )
