"""``kapaudit projections``: rebuild read models from the log, list what they skipped."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from services.adapters.sql import SqlProjectionStore, engine_from_settings, upgrade_schema
from services.adapters.sql.stored_projections import STORED_PROJECTIONS
from services.bootstrap import wire_projector
from services.cli.common import console, load_settings, printable
from services.cli.errors import CliError, friendly_errors
from services.projecting.ports import ProjectionFault

__all__ = ["projections_app"]

projections_app = typer.Typer(help="Read models folded from the log.", no_args_is_help=True)


@projections_app.command("rebuild")
@friendly_errors
def rebuild(
    name: Annotated[
        str | None, typer.Argument(help=f"One of: {', '.join(STORED_PROJECTIONS)} (default: all).")
    ] = None,
) -> None:
    """Replay the whole log into fresh read models."""
    if name is not None and name not in STORED_PROJECTIONS:
        raise CliError(
            f"unknown projection {name!r}", hint=f"choose one of {', '.join(STORED_PROJECTIONS)}"
        )
    settings = load_settings()

    async def run() -> int:
        engine = engine_from_settings(settings)
        try:
            await upgrade_schema(engine)
            projector = wire_projector(
                settings=settings, engine=engine, names=None if name is None else [name]
            )
            with console.status("replaying the log"):
                return await projector.rebuild()
        finally:
            await engine.dispose()

    folded = asyncio.run(run())
    console.print(f"rebuilt {name or 'all projections'}: {folded} events folded")


@projections_app.command("faults")
@friendly_errors
def faults() -> None:
    """List the log events a projection could not fold and skipped (exit 1 if any)."""
    settings = load_settings()

    async def run() -> list[ProjectionFault]:
        engine = engine_from_settings(settings)
        try:
            await upgrade_schema(engine)
            return await SqlProjectionStore(engine=engine).faults()
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    if not rows:
        console.print("no projection faults: every log event was folded")
        return
    console.print(f"{len(rows)} skipped event(s); the log still holds each one:")
    for row in rows:
        # One line each, ids first and unwrapped: what an operator copies into a ticket.
        console.print(
            f"position {row.position} event {printable(row.event_id)} "
            f"({printable(row.projection)}, {row.noted_at.isoformat(timespec='seconds')}): "
            f"{printable(row.problem)}",
            soft_wrap=True,
        )
    raise typer.Exit(1)
