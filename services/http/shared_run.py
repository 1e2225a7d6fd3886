"""One run of an expensive job at a time; callers arriving meanwhile share its result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["SharedRun"]

T = TypeVar("T")


class SharedRun(Generic[T]):
    """Runs ``job`` unless a run is under way, in which case its result is awaited instead.

    Eight simultaneous requests for the same whole-log check cost one check, not eight
    competing for the event loop.
    """

    def __init__(self) -> None:
        self._running: asyncio.Future[T] | None = None

    async def __call__(self, job: Callable[[], Awaitable[T]]) -> T:
        if self._running is None:
            running = asyncio.ensure_future(job())
            self._running = running
            running.add_done_callback(self._finished)
        # A caller that goes away (client disconnect) must not cancel the others' run.
        return await asyncio.shield(self._running)

    def _finished(self, run: asyncio.Future[T]) -> None:
        if self._running is run:
            self._running = None
