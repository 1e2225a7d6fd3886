"""``kapaudit profile``: a clinic's thresholds, changed on the record and shown with sources."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from events import EventRejected, Protocol
from projections.compliance.profile import SETTING_NAMES
from projections.profiles import ProtocolProfile
from services.adapters.kafka import EventPublisher, kafka_security
from services.cli.common import console, load_settings, parse_instant, printable, queries
from services.cli.errors import CliError, friendly_errors
from services.clinic_zones import ClinicZones
from services.profiles import profile_changed

__all__ = ["profile_app"]

_HINT = "docs/COMPLIANCE.md lists every setting with its type; nothing was published"

profile_app = typer.Typer(help="A clinic's compliance thresholds.", no_args_is_help=True)


def parse_setting(assignment: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as a TOML value (``10``, ``true``, ``["a", "b"]``);
    a bare word is a string, so ``adverse_event_min_severity=severe`` needs no quotes."""
    key, equals, text = assignment.partition("=")
    key = key.strip()
    if not equals or not key:
        raise CliError(
            f"{assignment!r} is not KEY=VALUE", hint="e.g. monitoring_max_gap_minutes=10"
        )
    try:
        value = tomllib.loads(f"value = {text.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    return key, value


@profile_app.command("set")
@friendly_errors
def set_profile(
    clinic_id: str,
    protocol: Protocol,
    settings: Annotated[list[str], typer.Argument(help="KEY=VALUE, one per setting.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the thresholds change.")],
    author: Annotated[str, typer.Option("--author", help="Your staff id.")],
) -> None:
    """Publish a profile.changed: the next version of CLINIC's PROTOCOL profile, from now."""
    changes = dict(parse_setting(assignment) for assignment in settings)
    config = load_settings()

    async def current() -> ProtocolProfile:
        async with queries(config) as read_models:
            history = await read_models.profile_history([clinic_id])
        return history.of(clinic_id, protocol)

    try:
        event = profile_changed(
            clinic_id=clinic_id,
            protocol=protocol,
            current=asyncio.run(current()),
            settings=changes,
            author=author,
            reason=reason,
            occurred_at=datetime.now(UTC),
        )
    except EventRejected as rejected:
        problems = "; ".join(
            f"{e.path.removeprefix('payload.')}: {e.message}" for e in rejected.errors
        )
        raise CliError(f"profile not changed: {problems}", hint=_HINT) from None
    except ValueError as invalid:
        raise CliError(f"profile not changed: {invalid}", hint=_HINT) from None
    bootstrap = config.kafka_bootstrap_servers or f"127.0.0.1:{config.embedded_kafka_port}"
    security = kafka_security(config)

    async def publish() -> None:
        async with EventPublisher(bootstrap_servers=bootstrap, security=security) as publisher:
            await publisher.publish(event)

    asyncio.run(publish())
    console.print(
        f"published profile.changed {event.event_id} for {printable(clinic_id)} {protocol}: "
        + ", ".join(f"{printable(k)}={printable(v)}" for k, v in changes.items())
    )


@profile_app.command("show")
@friendly_errors
def show_profile(
    clinic_id: str,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The thresholds in force then (default: now).")
    ] = None,
) -> None:
    """The thresholds in force for CLINIC per protocol, with their sources and history."""
    zone = ClinicZones.from_settings(load_settings()).for_clinic(clinic_id)
    instant = parse_instant(as_of, option="--as-of", zone=zone) or datetime.now(UTC)

    async def load() -> Any:
        async with queries(load_settings()) as read_models:
            return await read_models.profile_history([clinic_id])

    history = asyncio.run(load())
    for protocol in Protocol:
        versions = history.of(clinic_id, protocol).versions
        in_force = history.in_force(clinic_id, protocol, as_of=instant)
        table = Table(
            title=f"{printable(clinic_id)} {protocol}: version {in_force.version} in force "
            f"at {instant.isoformat(timespec='seconds')}"
        )
        for column in ("setting", "value", "source"):
            table.add_column(column)
        for name in SETTING_NAMES:
            table.add_row(
                name,
                printable(getattr(in_force.profile, name)),
                printable(in_force.source_of(name, versions)),
            )
        console.print(table)
        for version in versions[1:]:
            when = version.effective_at.isoformat() if version.effective_at else ""
            console.print(
                f"  version {version.version} from {when} by {printable(version.author)}: "
                f"{printable(version.reason)} ({printable(dict(version.changed))})"
            )
