"""The projector's store in memory: each read model a dictionary of the pure fold's states,
each batch applied to a copy and swapped in whole when it ends, as a commit would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from projections import PROJECTIONS, Projection, Recorded, fold
from services.adapters.memory.event_store import InMemoryEventStore
from services.projecting.ports import Progress, ProjectionFault, Unfolded

__all__ = ["InMemoryProjectionStore"]


@dataclass(slots=True)
class _ReadModel:
    entries: dict[Any, Any] = field(default_factory=dict)
    checkpoint: int = 0
    built_by: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class InMemoryProjectionStore:
    """``ProjectionStore`` over an ``InMemoryEventStore``; it keeps no verdicts (the memory
    queries judge every verdict on demand)."""

    def __init__(
        self,
        *,
        log: InMemoryEventStore,
        projections: Iterable[Projection[Any, Any]] = PROJECTIONS.values(),
    ) -> None:
        self._log = log
        self._projections = {projection.name: projection for projection in projections}
        self._models = {name: _ReadModel() for name in self._projections}
        self._faults: dict[tuple[str, int], ProjectionFault] = {}

    @property
    def projections(self) -> Mapping[str, Projection[Any, Any]]:
        return self._projections

    async def progress(self, name: str) -> Progress:
        model = self._models[name]
        # The memory log numbers its rows from 1 without gaps: its size is its last position.
        head = await self._log.count()
        current = model.built_by in (None, self._projections[name].version)
        unfolded = await self._log.rows(after_position=model.checkpoint if current else 0, limit=1)
        return Progress(
            head=head,
            checkpoint=model.checkpoint,
            built_by=model.built_by,
            oldest_unfolded_at=unfolded[0].recorded_at if unfolded else None,
        )

    @contextlib.asynccontextmanager
    async def transaction(self, name: str) -> AsyncIterator[_MemoryTransaction]:
        model = self._models[name]
        async with model.lock:
            draft = _MemoryTransaction(
                log=self._log,
                projection=self._projections[name],
                entries=dict(model.entries),
                checkpoint=model.checkpoint,
                built_by=model.built_by,
            )
            yield draft
            # Reached only when the block ended without raising: the commit.
            model.entries = draft.entries
            model.checkpoint = draft.checkpoint
            model.built_by = draft.built_by
            for fault in draft.faults:
                self._faults.setdefault((fault.projection, fault.position), fault)

    async def forget(self, names: Sequence[str]) -> None:
        for name in names:
            model = self._models[name]
            async with model.lock:
                model.entries = {}
                model.checkpoint = 0
                model.built_by = self._projections[name].version

    async def refresh_verdicts(self, *, limit: int) -> int:
        return 0

    @contextlib.asynccontextmanager
    async def appended(self) -> AsyncIterator[asyncio.Event | None]:
        yield None

    async def entries(self, name: str) -> dict[Any, Any]:
        return dict(self._models[name].entries)

    async def faults(self) -> list[ProjectionFault]:
        return sorted(self._faults.values(), key=lambda f: (f.position, f.projection))


@dataclass(slots=True, kw_only=True)
class _MemoryTransaction:
    log: InMemoryEventStore
    projection: Projection[Any, Any]
    entries: dict[Any, Any]
    checkpoint: int
    built_by: int | None
    faults: list[ProjectionFault] = field(default_factory=list)

    async def clear(self) -> None:
        self.entries = {}
        self.checkpoint = 0
        self.built_by = self.projection.version

    async def rows_after(self, position: int, *, limit: int) -> Sequence[Unfolded]:
        return await self.log.rows(after_position=position, limit=limit)

    async def fold(
        self,
        events: Sequence[Recorded],
        *,
        on_fault: Callable[[Recorded, Exception], None],
        judge: bool,
    ) -> None:
        self.entries.update(fold(self.projection, self.entries, events, on_fault=on_fault))

    async def note_faults(self, faults: Sequence[ProjectionFault]) -> None:
        self.faults.extend(faults)

    async def move_checkpoint(self, position: int) -> None:
        self.checkpoint = position
