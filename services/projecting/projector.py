"""Follow the log by position; fold each batch and move the checkpoint in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from events import EventRejected, read_stored_event
from projections import Recorded
from services.adapters.sql.engine import WRITE_OPTION
from services.adapters.sql.log_notices import log_appended
from services.adapters.sql.projection_store import (
    STORED_PROJECTIONS,
    StoredProjection,
    built_version,
    insert_for,
    read_checkpoint,
    write_checkpoint,
)
from services.adapters.sql.read_model_tables import (
    proj_verdicts,
    projection_checkpoints,
    projection_faults,
)
from services.adapters.sql.tables import event_log
from services.adapters.sql.verdict_store import VerdictWriter
from services.clinic_zones import ClinicZones
from services.clock import Clock, SystemClock
from services.metrics import NO_METRICS, Metrics

__all__ = ["Projector"]

_log = logging.getLogger("kapaudit.projector")


class Projector:
    """Keeps read models in step with the log; every event is folded exactly once.

    Exactly once because the fold and the checkpoint commit together, and the
    recorder's writers commit in position order (see ``SqlEventStore``), so no
    event can appear later below a checkpoint already passed.
    """

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        names: Iterable[str] | None = None,
        batch_size: int = 1000,
        clock: Clock | None = None,
        metrics: Metrics = NO_METRICS,
        zones: ClinicZones | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()
        # Each session's current verdict, judged again whenever what it rests on changes
        # (``verdict_store``); sentences on the clinics' clocks, as the queries tell them.
        self._verdicts = VerdictWriter(clock=self._clock, zones=zones)
        self._backfilled = False
        self._judging = True
        self._judge_again: dict[str, Callable[[AsyncConnection, list[Any]], Awaitable[object]]] = {
            "sessions": self._verdicts.sessions_changed,
            "patients": self._verdicts.patients_changed,
            "profiles": self._verdicts.profiles_changed,
        }
        self._meter = metrics
        chosen = list(STORED_PROJECTIONS) if names is None else list(names)
        unknown = sorted(set(chosen) - set(STORED_PROJECTIONS))
        if unknown:
            raise ValueError(
                f"unknown projection {', '.join(unknown)}; known: {', '.join(STORED_PROJECTIONS)}"
            )
        self._projections = [STORED_PROJECTIONS[name] for name in chosen]
        self._batch_size = batch_size

    async def step(self) -> int:
        """Fold at most one batch into each projection; returns how many events were folded."""
        folded = 0
        batches = _Batches()
        for stored in self._projections:
            folded += await self._step(stored, batches)
        return folded

    async def catch_up(self) -> int:
        """Fold until every projection has reached the end of the log."""
        total = 0
        while folded := await self.step():
            total += folded
        return total

    async def run(self, stop: asyncio.Event, *, poll_interval: float = 0.25) -> None:
        """Follow the log until ``stop`` is set; a failing batch is retried, never skipped.

        Idle, it waits for the recorder's notice that the log grew (PostgreSQL), or for
        ``poll_interval`` at most: a notice saves the wait, polling keeps it correct.
        """
        async with log_appended(self._engine) as appended:
            while not stop.is_set():
                if appended is not None:
                    appended.clear()  # before the step: a commit during it wakes the next wait
                try:
                    folded = await self.step()
                except Exception:
                    _log.exception("projection batch failed; retrying")
                    folded = 0
                try:
                    await self.refresh_verdicts()
                except Exception:
                    _log.exception("refreshing stored verdicts failed; retrying")
                if not folded:
                    await _first_of(stop, appended, within=poll_interval)

    async def refresh_verdicts(self, *, limit: int = 500) -> int:
        """Judge again at most ``limit`` stored verdicts that have expired (a deadline
        passed, a profile version came into force) or are missing; returns how many.

        A plain read first, as in ``_behind``: nothing to do costs no write transaction.
        """
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

    async def rebuild(self) -> int:
        """Forget the read models and replay the whole log into them."""
        async with self._engine.connect() as connection:
            writer = await connection.execution_options(**{WRITE_OPTION: True})
            async with writer.begin():
                for stored in self._projections:
                    await stored.clear(writer)
                await writer.execute(delete(proj_verdicts))
        # A session's events span many batches, and judging it after each would judge it
        # many times over; its verdict is judged once, from its final history, instead.
        self._judging = False
        try:
            folded = await self.catch_up()
        finally:
            self._judging = True
        self._backfilled = False
        while await self.refresh_verdicts(limit=1000):
            pass
        return folded

    async def _behind(self, stored: StoredProjection) -> bool:
        # A plain read first: an idle projector polling with write transactions
        # would take SQLite's write lock away from the recorder several times a second.
        async with self._engine.connect() as connection:
            head = (await connection.execute(select(func.max(event_log.c.position)))).scalar()
            done = (
                await connection.execute(
                    select(
                        projection_checkpoints.c.position, projection_checkpoints.c.version
                    ).where(projection_checkpoints.c.name == stored.name)
                )
            ).one_or_none()
            folded = done.position if done is not None else 0
            if done is not None and done.version != stored.projection.version:
                folded = 0  # about to be rebuilt: everything is ahead of it
            behind = (head or 0) - folded
            oldest = (
                None
                if behind <= 0
                else (
                    await connection.execute(
                        select(event_log.c.recorded_at)
                        .where(event_log.c.position > folded)
                        .order_by(event_log.c.position)
                        .limit(1)
                    )
                ).scalar()
            )
        self._meter.projector_lag(
            projection=stored.name,
            positions=max(0, behind),
            seconds=0.0
            if oldest is None
            else max(0.0, (self._clock.now() - oldest).total_seconds()),
        )
        if done is not None and done.version != stored.projection.version:
            return True
        return behind > 0

    async def _step(self, stored: StoredProjection, batches: _Batches) -> int:
        if not await self._behind(stored):
            return 0
        async with self._engine.connect() as connection:
            writer = await connection.execution_options(**{WRITE_OPTION: True})
            async with writer.begin():
                checkpoint = await read_checkpoint(writer, name=stored.name, lock=True)
                version = await built_version(writer, name=stored.name)
                if version != stored.projection.version:
                    # Built by another fold: what it holds may be wrong by today's rules.
                    if checkpoint:
                        _log.warning(
                            "projection %s was built by fold version %s; rebuilding it "
                            "from the log with version %s",
                            stored.name,
                            version,
                            stored.projection.version,
                        )
                    await stored.clear(writer)
                    checkpoint = 0
                rows = batches.rows.get(checkpoint)
                if rows is None:
                    rows = batches.rows[checkpoint] = (
                        await writer.execute(
                            select(
                                event_log.c.position,
                                event_log.c.event_id,
                                event_log.c.recorded_at,
                                event_log.c.event_json,
                            )
                            .where(event_log.c.position > checkpoint)
                            .order_by(event_log.c.position)
                            .limit(self._batch_size)
                        )
                    ).all()
                if not rows:
                    return 0
                faults: list[dict[str, Any]] = []

                def skip(position: int, event_id: str, problem: Exception) -> None:
                    faults.append(
                        {
                            "projection": stored.name,
                            "position": position,
                            "event_id": event_id,
                            "problem": f"{type(problem).__name__}: {problem}"[:2000],
                            "noted_at": self._clock.now(),
                        }
                    )

                readable = []
                for row in rows:
                    read = batches.read(row)
                    if isinstance(read, EventRejected):
                        skip(row.position, row.event_id, read)
                        continue
                    readable.append(read)
                await stored.apply(
                    writer,
                    readable,
                    on_fault=lambda recorded, problem: skip(
                        recorded.position, recorded.event_id, problem
                    ),
                    on_changed=self._judge_again.get(stored.name) if self._judging else None,
                )
                if faults:
                    await _note_faults(writer, faults)
                await write_checkpoint(writer, name=stored.name, position=rows[-1].position)
                return len(rows)


async def _first_of(stop: asyncio.Event, appended: asyncio.Event | None, *, within: float) -> None:
    waits = [asyncio.ensure_future(stop.wait())]
    if appended is not None:
        waits.append(asyncio.ensure_future(appended.wait()))
    try:
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


class _Batches:
    """The log rows one ``step`` read, and their events, shared by its projections.

    Projections at the same checkpoint fold the same batch, so it is read and parsed once
    (parsing is most of a fold's time). Sharing is safe across their transactions: the
    log's rows never change, and they commit in position order (see ``SqlEventStore``),
    so the rows after a checkpoint that one transaction saw are the rows any later one sees.
    """

    def __init__(self) -> None:
        self.rows: dict[int, Sequence[Any]] = {}
        self._events: dict[int, Recorded | EventRejected] = {}

    def read(self, row: Any) -> Recorded | EventRejected:
        """The row's event, or why it cannot be read."""
        read = self._events.get(row.position)
        if read is None:
            try:
                read = Recorded(
                    event=read_stored_event(row.event_json),
                    position=row.position,
                    recorded_at=row.recorded_at,
                )
            except EventRejected as unreadable:
                read = unreadable
            self._events[row.position] = read
        return read


async def _note_faults(connection: AsyncConnection, faults: list[dict[str, Any]]) -> None:
    # Skipped, never retried: one event the fold cannot take must not stall every read
    # model. The record stays, in the same transaction as the checkpoint that passes it.
    for fault in faults:
        _log.error(
            "projection %s skipped log position %d (event %s): %s",
            fault["projection"],
            fault["position"],
            fault["event_id"],
            fault["problem"],
            extra={
                "projection": fault["projection"],
                "position": fault["position"],
                "event_id": fault["event_id"],
            },
        )
    await connection.execute(
        insert_for(connection, projection_faults).on_conflict_do_nothing(
            index_elements=["projection", "position"]
        ),
        faults,
    )
