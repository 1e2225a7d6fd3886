"""The projector's store on SQL (``ProjectionStore``): one table per read model, the
checkpoints, the skipped events and the stored verdicts, in one transaction per batch."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projections import Projection, Recorded
from services.adapters.sql.engine import WRITE_OPTION
from services.adapters.sql.log_notices import log_appended
from services.adapters.sql.read_model_tables import (
    proj_verdicts,
    projection_checkpoints,
    projection_faults,
)
from services.adapters.sql.stored_projections import (
    STORED_PROJECTIONS,
    StoredProjection,
    built_version,
    first_unfolded_at,
    insert_for,
    read_checkpoint,
    write_checkpoint,
)
from services.adapters.sql.tables import event_log
from services.adapters.sql.verdict_store import VerdictWriter
from services.clinic_zones import ClinicZones
from services.clock import Clock, SystemClock
from services.projecting.ports import Progress, ProjectionFault, Unfolded

__all__ = ["SqlProjectionStore"]


class SqlProjectionStore:
    """``ProjectionStore`` on SQL: one table per read model, the checkpoints, the skipped
    events, and each session's stored verdict, judged again in the transaction that
    changes what it rests on (``verdict_store``)."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        clock: Clock | None = None,
        zones: ClinicZones | None = None,
    ) -> None:
        self._engine = engine
        # Sentences on the clinics' clocks, as the queries tell them.
        self._verdicts = VerdictWriter(clock=clock or SystemClock(), zones=zones)
        self._backfilled = False
        self._judge_again: dict[str, Callable[[AsyncConnection, list[Any]], Awaitable[object]]] = {
            "sessions": self._verdicts.sessions_changed,
            "patients": self._verdicts.patients_changed,
            "profiles": self._verdicts.profiles_changed,
        }
        self._projections = {name: stored.projection for name, stored in STORED_PROJECTIONS.items()}

    @property
    def projections(self) -> Mapping[str, Projection[Any, Any]]:
        return self._projections

    async def progress(self, name: str) -> Progress:
        async with self._engine.connect() as connection:
            head = (await connection.execute(select(func.max(event_log.c.position)))).scalar()
            done = (
                await connection.execute(
                    select(
                        projection_checkpoints.c.position, projection_checkpoints.c.version
                    ).where(projection_checkpoints.c.name == name)
                )
            ).one_or_none()
            checkpoint = 0 if done is None else int(done.position)
            built_by = None if done is None else int(done.version)
            # A read model of another fold version is about to be rebuilt from the start.
            after = checkpoint if built_by in (None, self._projections[name].version) else 0
            oldest = None
            if (head or 0) > after:
                oldest = await first_unfolded_at(connection, after=after)
        return Progress(
            head=head or 0,
            checkpoint=checkpoint,
            built_by=built_by,
            oldest_unfolded_at=oldest,
        )

    @contextlib.asynccontextmanager
    async def transaction(self, name: str) -> AsyncIterator[_SqlTransaction]:
        async with self._engine.connect() as connection:
            writer = await connection.execution_options(**{WRITE_OPTION: True})
            async with writer.begin():
                checkpoint = await read_checkpoint(writer, name=name, lock=True)
                yield _SqlTransaction(
                    connection=writer,
                    stored=STORED_PROJECTIONS[name],
                    checkpoint=checkpoint,
                    built_by=await built_version(writer, name=name),
                    judge_again=self._judge_again.get(name),
                )

    async def forget(self, names: Sequence[str]) -> None:
        async with self._engine.connect() as connection:
            writer = await connection.execution_options(**{WRITE_OPTION: True})
            async with writer.begin():
                for name in names:
                    await STORED_PROJECTIONS[name].clear(writer)
                await writer.execute(delete(proj_verdicts))
        self._backfilled = False

    async def refresh_verdicts(self, *, limit: int) -> int:
        # A plain read first: nothing to do costs no write transaction.
        async with self._engine.connect() as connection:
            due = await self._verdicts.stale(connection, limit=limit)
            if not self._backfilled and len(due) < limit:
                missing = await self._verdicts.missing(connection, limit=limit - len(due))
                self._backfilled = not missing
                due += missing
        if not due:
            return 0
        async with self._engine.connect() as connection:
            writer = await connection.execution_options(**{WRITE_OPTION: True})
            async with writer.begin():
                return await self._verdicts.rejudge(writer, due)

    def appended(self) -> contextlib.AbstractAsyncContextManager[asyncio.Event | None]:
        return log_appended(self._engine)

    async def entries(self, name: str) -> dict[Any, Any]:
        stored = STORED_PROJECTIONS[name]
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(stored.table.c[stored.key_column], stored.table.c.history_json)
            )
            return {
                key: stored.projection.from_document(json.loads(history_json))
                for key, history_json in rows
            }

    async def faults(self) -> list[ProjectionFault]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(projection_faults).order_by(
                    projection_faults.c.position, projection_faults.c.projection
                )
            )
            return [
                ProjectionFault(
                    projection=row.projection,
                    position=row.position,
                    event_id=row.event_id,
                    problem=row.problem,
                    noted_at=row.noted_at,
                )
                for row in rows
            ]


@dataclass(slots=True, kw_only=True)
class _SqlTransaction:
    connection: AsyncConnection
    stored: StoredProjection
    checkpoint: int
    built_by: int | None
    judge_again: Callable[[AsyncConnection, list[Any]], Awaitable[object]] | None

    async def clear(self) -> None:
        await self.stored.clear(self.connection)
        self.checkpoint = 0
        self.built_by = self.stored.projection.version

    async def rows_after(self, position: int, *, limit: int) -> Sequence[Unfolded]:
        result = await self.connection.execute(
            select(
                event_log.c.position,
                event_log.c.event_id,
                event_log.c.recorded_at,
                event_log.c.event_json,
            )
            .where(event_log.c.position > position)
            .order_by(event_log.c.position)
            .limit(limit)
        )
        return result.all()

    async def fold(
        self,
        events: Sequence[Recorded],
        *,
        on_fault: Callable[[Recorded, Exception], None],
        judge: bool,
    ) -> None:
        await self.stored.apply(
            self.connection,
            events,
            on_fault=on_fault,
            on_changed=self.judge_again if judge else None,
        )

    async def note_faults(self, faults: Sequence[ProjectionFault]) -> None:
        await self.connection.execute(
            insert_for(self.connection, projection_faults).on_conflict_do_nothing(
                index_elements=["projection", "position"]
            ),
            [
                {
                    "projection": fault.projection,
                    "position": fault.position,
                    "event_id": fault.event_id,
                    "problem": fault.problem,
                    "noted_at": fault.noted_at,
                }
                for fault in faults
            ],
        )

    async def move_checkpoint(self, position: int) -> None:
        await write_checkpoint(self.connection, name=self.stored.name, position=position)
