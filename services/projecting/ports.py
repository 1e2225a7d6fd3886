"""The projector's port: where read models are kept, each with its checkpoint in the log.

The projector decides what to fold and when; a ``ProjectionStore`` keeps the entries, the
checkpoints and the skipped events, and gives it one transaction per batch, so an entry
and the checkpoint that passes its events are committed together or not at all.
Adapters implement it (SQL, memory); ``tests/contract`` holds each to the same suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from projections import Projection, Recorded

__all__ = ["Progress", "ProjectionFault", "ProjectionStore", "ProjectionTransaction", "Unfolded"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """How far one read model has come, read without taking any lock."""

    head: int
    """The last position in the log (0 when it is empty)."""
    checkpoint: int
    """The last position folded into the read model (0 when never run)."""
    built_by: int | None
    """The fold version that built the read model (None when never run)."""
    oldest_unfolded_at: datetime | None
    """When the first event the current fold has still to take was recorded: after the
    checkpoint, or the log's first when another fold version built the read model (it is
    about to be rebuilt); None when there is none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectionFault:
    """One log event a projection could not fold: skipped, and kept on record."""

    projection: str
    position: int
    event_id: str
    problem: str
    noted_at: datetime


class Unfolded(Protocol):
    """One log row as the projector reads it."""

    @property
    def position(self) -> int: ...

    @property
    def event_id(self) -> str: ...

    @property
    def recorded_at(self) -> datetime: ...

    @property
    def event_json(self) -> str: ...


class ProjectionTransaction(Protocol):
    """One batch of one read model: committed when the block ends, undone if it raises."""

    checkpoint: int
    """The read model's checkpoint, held by this transaction alone until it ends."""
    built_by: int | None
    """The fold version that built the read model (None when never run)."""

    async def clear(self) -> None:
        """Forget every entry and restart at position 0, built by the current fold."""
        ...

    async def rows_after(self, position: int, *, limit: int) -> Sequence[Unfolded]:
        """At most ``limit`` log rows after ``position``, in position order."""
        ...

    async def fold(
        self,
        events: Sequence[Recorded],
        *,
        on_fault: Callable[[Recorded, Exception], None],
        judge: bool,
    ) -> None:
        """Fold ``events`` into the entries they touch; with ``judge``, also judge again
        the verdicts those entries change, where the store keeps verdicts."""
        ...

    async def note_faults(self, faults: Sequence[ProjectionFault]) -> None:
        """Keep each skipped event on record once (a rebuild meets it again)."""
        ...

    async def move_checkpoint(self, position: int) -> None:
        """The read model now holds every event up to ``position``."""
        ...


class ProjectionStore(Protocol):
    """The read models, their checkpoints and the events they skipped."""

    @property
    def projections(self) -> Mapping[str, Projection[Any, Any]]:
        """The pure projections this store keeps, by name, in the order they are folded."""
        ...

    async def progress(self, name: str) -> Progress:
        """How far read model ``name`` has come."""
        ...

    def transaction(self, name: str) -> AbstractAsyncContextManager[ProjectionTransaction]:
        """One batch of read model ``name``; two at once on one read model wait in turn."""
        ...

    async def forget(self, names: Sequence[str]) -> None:
        """Empty the named read models (and any verdicts judged from them) at once."""
        ...

    async def refresh_verdicts(self, *, limit: int) -> int:
        """Judge again at most ``limit`` kept verdicts that expired or are missing;
        returns how many (0 where the store keeps no verdicts)."""
        ...

    def appended(self) -> AbstractAsyncContextManager[asyncio.Event | None]:
        """An event set whenever the log grows (the follower clears it); None where the
        store cannot tell, and the follower polls."""
        ...

    async def entries(self, name: str) -> dict[Any, Any]:
        """Every entry of read model ``name``, as the pure fold's states."""
        ...

    async def faults(self) -> list[ProjectionFault]:
        """Every event a projection skipped, by position, then projection."""
        ...
