"""The SQL event store: one transaction per batch, hash-chained, idempotent by event id."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Text, and_, any_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from events import FieldError, RejectionReason, stream_id
from services.adapters.sql.bulk_insert import insert_many
from services.adapters.sql.engine import WRITE_OPTION
from services.adapters.sql.log_notices import LOG_APPENDED_CHANNEL
from services.adapters.sql.merkle_tree import append_leaves, tree_state
from services.adapters.sql.tables import checkpoints, event_log, rejected_events, session_owners
from services.chain import ChainLink, LogRow, SessionOwner
from services.chain.compact_range import CompactRange
from services.recording import BatchOutcome, KafkaCoordinates, Rejection, ValidEvent
from services.recording.append_plan import Owner, plan_append, sessions_named, unstorable
from services.recording.ports import LogSnapshot

__all__ = ["LogSnapshot", "SqlEventStore"]

_log = logging.getLogger(__name__)

# Keeps IN (...) lists under every backend's bound-parameter limit.
_CHUNK = 500
# Errors that recur for the same rows however often they are retried (as opposed to a
# lost connection or a lock timeout, which the recorder waits out). SQLAlchemy wraps
# errors raised while binding parameters, so the original is looked at too.
_DETERMINISTIC = (DataError, ValueError, OverflowError, UnicodeError)


def _deterministic(error: BaseException) -> bool:
    if isinstance(error, IntegrityError):
        return False
    # PostgreSQL's data exceptions (SQLSTATE 22xxx: a value too long for its column, out
    # of range...) come from the asyncpg dialect as a bare DBAPIError, not DataError.
    if str(getattr(getattr(error, "orig", None), "sqlstate", "")).startswith("22"):
        return True
    if isinstance(error, StatementError) and not isinstance(error, DataError):
        return isinstance(error.orig, _DETERMINISTIC)
    return isinstance(error, _DETERMINISTIC)


# Concurrent recorders may race for the same stream's next sequence; the unique
# index turns the loser's insert into an IntegrityError, and a retry re-reads heads.
_MAX_ATTEMPTS = 8


class SqlEventStore:
    """The log and the rejected-messages table in PostgreSQL or SQLite: the recorder's
    ``EventStore`` and the readers' ``LogReader``."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def record(
        self,
        *,
        valid: Sequence[ValidEvent],
        invalid: Sequence[Rejection],
        recorded_at: datetime,
    ) -> BatchOutcome:
        try:
            return await self._record_retrying(
                valid=valid, invalid=invalid, recorded_at=recorded_at
            )
        except Exception as refused:
            if not valid or not _deterministic(refused):
                raise
            # Something in the batch is refused whatever the retry: find it, so that
            # one bad event cannot stall its partition (and every event behind it).
            _log.warning("batch refused (%s); storing its events one by one", refused)
            return await self._record_isolating(
                valid=valid, invalid=invalid, recorded_at=recorded_at
            )

    async def _record_isolating(
        self,
        *,
        valid: Sequence[ValidEvent],
        invalid: Sequence[Rejection],
        recorded_at: datetime,
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        refused_events: list[Rejection] = []
        for item in valid:
            try:
                single = await self._record_retrying(
                    valid=[item], invalid=[], recorded_at=recorded_at
                )
            except Exception as refused:
                if not _deterministic(refused):
                    raise
                refused_events.append(unstorable(item, refused))
                continue
            outcome.recorded.extend(single.recorded)
            outcome.duplicates.extend(single.duplicates)
            outcome.rejections.extend(single.rejections)
        rest = await self._record_retrying(
            valid=[], invalid=[*invalid, *refused_events], recorded_at=recorded_at
        )
        outcome.rejections.extend(rest.rejections)
        return outcome

    async def _record_retrying(
        self,
        *,
        valid: Sequence[ValidEvent],
        invalid: Sequence[Rejection],
        recorded_at: datetime,
    ) -> BatchOutcome:
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                async with self._engine.connect() as connection:
                    writer = await connection.execution_options(**{WRITE_OPTION: True})
                    async with writer.begin():
                        await _serialize_writers(writer)
                        return await self._record(
                            writer, valid=valid, invalid=invalid, recorded_at=recorded_at
                        )
            except IntegrityError:
                if attempt == _MAX_ATTEMPTS:
                    raise
                _log.info("log append raced another writer; retrying (attempt %d)", attempt)
                await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    async def _record(
        self,
        connection: AsyncConnection,
        *,
        valid: Sequence[ValidEvent],
        invalid: Sequence[Rejection],
        recorded_at: datetime,
    ) -> BatchOutcome:
        named = {session for item in valid for session, _ in sessions_named(item.event)}
        plan = plan_append(
            valid=valid,
            invalid=invalid,
            known_bodies=await _recorded_bodies(connection, [str(v.event.event_id) for v in valid]),
            owners=await _session_owners(connection, named),
            heads=await _stream_heads(connection, {stream_id(item.event) for item in valid}),
            recorded_at=recorded_at,
        )
        await insert_many(connection, session_owners, plan.new_owners)
        outcome = BatchOutcome(duplicates=plan.duplicates, rejections=plan.rejections)
        if plan.rows:
            inserted = await insert_many(
                connection, event_log, plan.rows, returning=("event_id", "position")
            )
            position_of = {row.event_id: row.position for row in inserted}
            positions = [position_of[row["event_id"]] for row in plan.rows]
            # The Merkle tree grows in the same transaction, under the same lock, so it
            # always covers exactly the committed log in position order.
            await append_leaves(connection, sorted(zip(positions, plan.leaves, strict=True)))
            outcome.recorded.extend(row["event_id"] for row in plan.rows)
        if outcome.rejections:
            await connection.execute(
                _insert_ignoring_duplicates(connection),
                [_rejection_row(r, received_at=recorded_at) for r in outcome.rejections],
            )
        return outcome

    async def count(self) -> int:
        """How many events the log holds."""
        async with self._engine.connect() as connection:
            return int(
                (await connection.execute(select(func.count()).select_from(event_log))).scalar_one()
            )

    async def stream_exists(self, stream_id: str) -> bool:
        """Whether the log holds any event of ``stream_id``."""
        query = select(event_log.c.position).where(event_log.c.stream_id == stream_id).limit(1)
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def rows(self, *, after_position: int = 0, limit: int = 1000) -> list[LogRow]:
        """Log rows in position order, starting after ``after_position``."""
        query = (
            _log_rows_query()
            .where(event_log.c.position > after_position)
            .order_by(event_log.c.position)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            return [_to_log_row(row) for row in (await connection.execute(query)).mappings()]

    async def rows_by_stream(self, *, batch: int = 2000) -> AsyncIterator[LogRow]:
        """Every row ordered by stream then sequence, streamed, for verification."""
        query = _log_rows_query().order_by(event_log.c.stream_id, event_log.c.sequence)
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=batch))
            async for row in result.mappings():
                yield _to_log_row(row)

    @contextlib.asynccontextmanager
    async def snapshot(self, *, batch: int = 2000) -> AsyncIterator[LogSnapshot]:
        """Everything ``verify`` reads, as of one moment: a recorder committing meanwhile
        adds events, their owners and their leaves together, and a check reading one
        before and the other after would see only half."""
        async with self._engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # SQLite's read transaction is a snapshot already (WAL).
                connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                result = await connection.execute(select(session_owners))
                owners = {
                    row.session_id: SessionOwner(clinic_id=row.clinic_id, patient_id=row.patient_id)
                    for row in result
                }
                try:
                    tree: CompactRange | None = await tree_state(connection)
                except LookupError:
                    tree = None
                note = (
                    await connection.execute(
                        select(checkpoints.c.note_text)
                        .order_by(checkpoints.c.size.desc(), checkpoints.c.id.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()

                async def rows(*columns: Any) -> AsyncIterator[LogRow]:
                    query = _log_rows_query().order_by(*columns)
                    streamed = await connection.stream(query.execution_options(yield_per=batch))
                    async for row in streamed.mappings():
                        yield _to_log_row(row)

                yield LogSnapshot(
                    owners=owners,
                    rows_by_stream=rows(event_log.c.stream_id, event_log.c.sequence),
                    rows_in_log_order=lambda: rows(event_log.c.position),
                    tree=tree,
                    checkpoint_note=note,
                )

    async def rejections(self) -> list[Rejection]:
        """Every rejected message, oldest first."""
        query = select(rejected_events).order_by(rejected_events.c.id)
        async with self._engine.connect() as connection:
            result = await connection.execute(query)
            return [_to_rejection(row) for row in result.mappings()]


async def _serialize_writers(connection: AsyncConnection) -> None:
    # Positions come from a sequence when the row is inserted, but become visible
    # when the transaction commits. Two writers could commit out of position order
    # and a reader following "position > checkpoint" would skip the lower one for
    # good. Holding one lock per log from first read to commit makes commit order
    # equal position order (readers are not blocked). SQLite gets the same from
    # BEGIN IMMEDIATE. On PostgreSQL it is a transaction-scoped advisory lock, not
    # LOCK TABLE: that would need UPDATE, DELETE or TRUNCATE on event_log, the very
    # rights a least-privilege recorder must not hold. Like a table lock it is
    # released only after the commit is visible. The key is the table's oid, so logs
    # in different schemas of one database do not wait for each other.
    #
    # The same statement queues the notice that the log grew (``log_notices``): PostgreSQL
    # delivers it at commit, and drops it on rollback, at no extra round trip.
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text(
                "SELECT pg_advisory_xact_lock('event_log'::regclass::oid::bigint), "
                f"pg_notify('{LOG_APPENDED_CHANNEL}', '')"
            )
        )


async def _recorded_bodies(connection: AsyncConnection, event_ids: list[str]) -> dict[str, str]:
    bodies: dict[str, str] = {}
    for chunk in _chunks(sorted(set(event_ids))):
        result = await connection.execute(
            select(event_log.c.event_id, event_log.c.event_json).where(
                _among(connection, event_log.c.event_id, chunk)
            )
        )
        bodies.update({row.event_id: row.event_json for row in result})
    return bodies


# Each stream's last link, one backward index probe per stream: the grouped max below
# reads every row of every stream in the batch, and grew with the log (a quarter of the
# recorder's time per event at a million events).
_LAST_LINKS = text(
    "SELECT s.stream_id, e.sequence, e.hash FROM unnest(CAST(:streams AS TEXT[])) "
    "AS s(stream_id) CROSS JOIN LATERAL (SELECT sequence, hash FROM event_log "
    "WHERE event_log.stream_id = s.stream_id ORDER BY sequence DESC LIMIT 1) AS e"
).bindparams(bindparam("streams", type_=postgresql.ARRAY(Text)))


async def _stream_heads(connection: AsyncConnection, streams: set[str]) -> dict[str, ChainLink]:
    if connection.dialect.name == "postgresql":
        result = await connection.execute(_LAST_LINKS, {"streams": sorted(streams)})
        return {row.stream_id: ChainLink(sequence=row.sequence, hash=row.hash) for row in result}
    heads: dict[str, ChainLink] = {}
    for chunk in _chunks(sorted(streams)):
        last = (
            select(event_log.c.stream_id, func.max(event_log.c.sequence).label("sequence"))
            .where(_among(connection, event_log.c.stream_id, chunk))
            .group_by(event_log.c.stream_id)
            .subquery()
        )
        result = await connection.execute(
            select(event_log.c.stream_id, event_log.c.sequence, event_log.c.hash).join(
                last,
                and_(
                    event_log.c.stream_id == last.c.stream_id,
                    event_log.c.sequence == last.c.sequence,
                ),
            )
        )
        heads.update(
            {row.stream_id: ChainLink(sequence=row.sequence, hash=row.hash) for row in result}
        )
    return heads


async def _session_owners(connection: AsyncConnection, sessions: set[str]) -> dict[str, Owner]:
    owners: dict[str, Owner] = {}
    for chunk in _chunks(sorted(sessions)):
        result = await connection.execute(
            select(session_owners).where(_among(connection, session_owners.c.session_id, chunk))
        )
        owners.update({row.session_id: (row.clinic_id, row.patient_id) for row in result})
    return owners


def _insert_ignoring_duplicates(connection: AsyncConnection) -> Any:
    # A redelivered batch repeats its rejections; each Kafka offset is kept once.
    coordinates = ["kafka_topic", "kafka_partition", "kafka_offset"]
    if connection.dialect.name == "postgresql":
        return postgresql.insert(rejected_events).on_conflict_do_nothing(index_elements=coordinates)
    return sqlite.insert(rejected_events).on_conflict_do_nothing(index_elements=coordinates)


def _rejection_row(rejection: Rejection, *, received_at: datetime) -> dict[str, Any]:
    return {
        "received_at": received_at,
        "kafka_topic": rejection.coordinates.topic,
        "kafka_partition": rejection.coordinates.partition,
        "kafka_offset": rejection.coordinates.offset,
        "kafka_key": rejection.key,
        "raw_value": rejection.raw,
        "reason": rejection.reason.value,
        "errors_json": json.dumps(
            [{"path": e.path, "message": e.message} for e in rejection.errors],
            # ASCII escapes: an error path may quote any key the publisher sent, and
            # a rejection must be storable whatever bytes it describes.
            ensure_ascii=True,
        ),
        "event_id": rejection.event_id,
    }


def _to_rejection(row: Any) -> Rejection:
    return Rejection(
        raw=bytes(row["raw_value"]),
        key=bytes(row["kafka_key"]) if row["kafka_key"] is not None else None,
        reason=RejectionReason(row["reason"]),
        errors=tuple(
            FieldError(path=e["path"], message=e["message"]) for e in json.loads(row["errors_json"])
        ),
        coordinates=KafkaCoordinates(
            topic=row["kafka_topic"], partition=row["kafka_partition"], offset=row["kafka_offset"]
        ),
        event_id=row["event_id"],
    )


def _log_rows_query() -> Select[Any]:
    columns = [getattr(event_log.c, name) for name in LogRow.__dataclass_fields__]
    return select(*columns)


def _to_log_row(row: Any) -> LogRow:
    return LogRow(**{name: row[name] for name in LogRow.__dataclass_fields__})


def _among(connection: AsyncConnection, column: Any, values: list[str]) -> Any:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one parameter, so the
    statement's text is the same for every batch and asyncpg's prepared statement is
    reused, where an IN list renders anew for each length."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(String)))
    return column.in_(values)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
