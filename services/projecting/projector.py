"""Follow the log by position; fold each batch and move the checkpoint in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from events import EventRejected, read_stored_event
from projections import Recorded
from services.clock import Clock, SystemClock
from services.metrics import NO_METRICS, Metrics
from services.projecting.ports import ProjectionFault, ProjectionStore, Unfolded

__all__ = ["Projector"]

_log = logging.getLogger("kapaudit.projector")


class Projector:
    """Keeps read models in step with the log; every event is folded exactly once.

    Exactly once because the fold and the checkpoint commit together (one
    ``ProjectionStore`` transaction), and the recorder's writers commit in position order
    (see ``SqlEventStore``), so no event can appear later below a checkpoint already passed.
    """

    def __init__(
        self,
        *,
        store: ProjectionStore,
        names: Iterable[str] | None = None,
        batch_size: int = 1000,
        clock: Clock | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._judging = True
        self._meter = metrics
        known = list(store.projections)
        chosen = known if names is None else list(names)
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise ValueError(f"unknown projection {', '.join(unknown)}; known: {', '.join(known)}")
        self._names = chosen
        self._batch_size = batch_size

    async def step(self) -> int:
        """Fold at most one batch into each projection; returns how many events were folded."""
        folded = 0
        batches = _Batches()
        for name in self._names:
            folded += await self._step(name, batches)
        return folded

    async def catch_up(self) -> int:
        """Fold until every projection has reached the end of the log."""
        total = 0
        while folded := await self.step():
            total += folded
        return total

    async def run(self, stop: asyncio.Event, *, poll_interval: float = 0.25) -> None:
        """Follow the log until ``stop`` is set; a failing batch is retried, never skipped.

        Idle, it waits for the store's notice that the log grew (PostgreSQL), or for
        ``poll_interval`` at most: a notice saves the wait, polling keeps it correct.
        """
        async with self._store.appended() as appended:
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
        passed, a profile version came into force) or are missing; returns how many."""
        return await self._store.refresh_verdicts(limit=limit)

    async def rebuild(self) -> int:
        """Forget the read models and replay the whole log into them."""
        await self._store.forget(self._names)
        # A session's events span many batches, and judging it after each would judge it
        # many times over; its verdict is judged once, from its final history, instead.
        self._judging = False
        try:
            folded = await self.catch_up()
        finally:
            self._judging = True
        while await self.refresh_verdicts(limit=1000):
            pass
        return folded

    async def _behind(self, name: str, version: int) -> bool:
        # A plain read first: an idle projector polling with write transactions
        # would take SQLite's write lock away from the recorder several times a second.
        progress = await self._store.progress(name)
        rebuilding = progress.built_by is not None and progress.built_by != version
        folded = 0 if rebuilding else progress.checkpoint  # all ahead of a rebuild
        behind = progress.head - folded
        oldest = progress.oldest_unfolded_at
        self._meter.projector_lag(
            projection=name,
            positions=max(0, behind),
            seconds=0.0
            if oldest is None or behind <= 0
            else max(0.0, (self._clock.now() - oldest).total_seconds()),
        )
        return rebuilding or behind > 0

    async def _step(self, name: str, batches: _Batches) -> int:
        version = self._store.projections[name].version
        if not await self._behind(name, version):
            return 0
        async with self._store.transaction(name) as batch:
            checkpoint = batch.checkpoint
            if batch.built_by != version:
                if checkpoint:
                    # Built by another fold: what it holds may be wrong by today's rules.
                    _log.warning(
                        "projection %s was built by fold version %s; rebuilding it "
                        "from the log with version %s",
                        name,
                        batch.built_by,
                        version,
                    )
                await batch.clear()
                checkpoint = 0
            rows = batches.rows.get(checkpoint)
            if rows is None:
                rows = batches.rows[checkpoint] = await batch.rows_after(
                    checkpoint, limit=self._batch_size
                )
            if not rows:
                return 0
            faults: list[ProjectionFault] = []

            def skip(position: int, event_id: str, problem: Exception) -> None:
                faults.append(
                    ProjectionFault(
                        projection=name,
                        position=position,
                        event_id=event_id,
                        problem=f"{type(problem).__name__}: {problem}"[:2000],
                        noted_at=self._clock.now(),
                    )
                )

            readable = []
            for row in rows:
                read = batches.read(row)
                if isinstance(read, EventRejected):
                    skip(row.position, row.event_id, read)
                    continue
                readable.append(read)
            await batch.fold(
                readable,
                on_fault=lambda recorded, problem: skip(
                    recorded.position, recorded.event_id, problem
                ),
                judge=self._judging,
            )
            if faults:
                _log_faults(faults)
                await batch.note_faults(faults)
            await batch.move_checkpoint(rows[-1].position)
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
        self.rows: dict[int, Sequence[Unfolded]] = {}
        self._events: dict[int, Recorded | EventRejected] = {}

    def read(self, row: Unfolded) -> Recorded | EventRejected:
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


def _log_faults(faults: Sequence[ProjectionFault]) -> None:
    # Skipped, never retried: one event the fold cannot take must not stall every read
    # model. The record stays, in the same transaction as the checkpoint that passes it.
    for fault in faults:
        _log.error(
            "projection %s skipped log position %d (event %s): %s",
            fault.projection,
            fault.position,
            fault.event_id,
            fault.problem,
            extra={
                "projection": fault.projection,
                "position": fault.position,
                "event_id": fault.event_id,
            },
        )
