"""Progress displays for long-running commands."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from services.adapters.kafka import EventPublisher

__all__ = ["counting_progress", "publish_with_progress"]

_CHUNK = 50


@contextlib.contextmanager
def counting_progress(
    description: str, *, total: int | None, console: Console
) -> Iterator[Callable[[int], None]]:
    """Yield ``tick(completed)``; shows a bar when ``total`` is known, a spinner otherwise."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)

        def tick(completed: int) -> None:
            progress.update(task, completed=completed)

        yield tick


async def publish_with_progress(
    publisher: EventPublisher, documents: Sequence[dict[str, Any]], *, console: Console
) -> None:
    """Publish in chunks, each acknowledged, advancing a bar."""
    with counting_progress("publishing", total=len(documents), console=console) as tick:
        for start in range(0, len(documents), _CHUNK):
            await publisher.publish_many(documents[start : start + _CHUNK])
            tick(min(start + _CHUNK, len(documents)))
    console.print(f"published {len(documents)} events")
