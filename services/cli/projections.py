"""``kapaudit projections``: rebuild read models from the log."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.projection_store import STORED_PROJECTIONS
from services.cli.common import console, load_settings
from services.cli.errors import CliError, friendly_errors
from services.projecting import Projector

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
        engine = create_engine(settings.resolved_database_url())
        try:
            await upgrade_schema(engine)
            projector = Projector(
                engine=engine,
                names=None if name is None else [name],
                batch_size=settings.projector_batch_size,
            )
            with console.status("replaying the log"):
                return await projector.rebuild()
        finally:
            await engine.dispose()

    folded = asyncio.run(run())
    console.print(f"rebuilt {name or 'all projections'}: {folded} events folded")
