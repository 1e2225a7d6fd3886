"""What every CLI command shares: the console, settings, and the read side's wiring."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

from services.adapters.sql import engine_from_settings, upgrade_schema
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.bootstrap import wire_projector
from services.cli.errors import CliError
from services.clinic_zones import ClinicZones
from services.clock import SystemClock
from services.config import Settings
from services.json_logs import JsonFormatter
from services.period import PeriodError, parse_as_of

__all__ = ["configure_logging", "console", "load_settings", "parse_instant", "printable", "queries"]

console = Console(emoji=False)
"""Standard output. Names, ids and free text from the log, the database or the command
line go into markup strings only through ``printable`` (or as ``Text``), so
that "[red]" or "[/x]" in them is printed as it is; emoji codes are off for the same
reason (":x:" stays ":x:")."""


# C0 controls but newline and tab, DEL and C1 controls: ESC sequences in a note or a
# reason could otherwise move the cursor, retitle the terminal or hide text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: object) -> str:
    """``value`` as text for a markup string: markup escaped, control characters shown
    as ``\\xNN`` instead of reaching the terminal."""
    return escape(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value)))


def load_settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, log_format=settings.log_format)
    return settings


def configure_logging(level: str, *, log_format: str = "console") -> None:
    """One line per record at ``level``, readable or JSON (``services.json_logs``); a few
    libraries are held quieter even at INFO."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger().setLevel(level.upper())
    # FastStream logs every batch at INFO; the recorder's own summary is enough.
    logging.getLogger("kapaudit.kafka").setLevel(logging.WARNING)
    # Alembic narrates every connection at INFO ("Will assume transactional DDL").
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # bagit narrates every file it hashes at INFO; the export has its own progress bar.
    logging.getLogger("bagit").setLevel(logging.WARNING)


def parse_instant(text: str | None, *, option: str, zone: ZoneInfo) -> datetime | None:
    """As the API and the dashboard read ``as_of`` (``services.period.parse_as_of``): a time
    without offset is on the clinic's clock (``zone``)."""
    if text is None:
        return None
    try:
        return parse_as_of(text, zone=zone, parameter=option)
    except PeriodError as problem:
        raise CliError(
            f"{option}: {problem.message}",
            hint="e.g. 2026-11-24T17:00 (at the clinic) or 2026-11-24T17:00:00-07:00",
        ) from None


@contextlib.asynccontextmanager
async def queries(settings: Settings) -> AsyncIterator[SqlComplianceQueries]:
    """Query API over read models brought up to date with the log first."""
    engine = engine_from_settings(settings)
    try:
        await upgrade_schema(engine)
        await wire_projector(settings=settings, engine=engine).catch_up()
        yield SqlComplianceQueries(
            engine=engine, clock=SystemClock(), zones=ClinicZones.from_settings(settings)
        )
    finally:
        await engine.dispose()
