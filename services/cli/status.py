"""``kapaudit status``: the pipeline's health on one screen."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from events import ACCESS_TOPIC, TOPIC
from services.adapters.kafka import kafka_security
from services.adapters.kafka.group_lag import group_lag
from services.adapters.sql import SqlEventStore, engine_from_settings
from services.adapters.sql.status import StoreStatus, store_status
from services.cli.common import console, load_settings, printable
from services.cli.errors import friendly_errors
from services.config import Settings
from services.signing_keys import trusted_verifiers
from services.verification import VerificationReport, verify_store

__all__ = ["status"]

_BROKER_TIMEOUT_S = 10.0
"""The screen shows what the database says even when the broker does not answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Lag:
    by_partition: dict[tuple[str, int], int] | None
    problem: str | None = None


@friendly_errors
def status(
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Re-compute every hash chain for the chain health (seconds per million "
            "events); --no-verify skips it.",
        ),
    ] = True,
) -> None:
    """Recorder and projector lag, the last checkpoint, chain health and rejected counts;
    exit 1 if the chains are broken."""
    settings = load_settings()
    store, lag, report = asyncio.run(_gather(settings, verify=verify))
    _print(settings, store, lag, report)
    if report is not None and not report.intact:
        raise typer.Exit(code=1)


async def _gather(
    settings: Settings, *, verify: bool
) -> tuple[StoreStatus, _Lag, VerificationReport | None]:
    engine = engine_from_settings(settings)
    try:
        store = await store_status(engine, now=datetime.now(UTC))
        lag = await _recorder_lag(settings)
        report = None
        if verify:
            with console.status("verifying the chains"):
                report = await verify_store(
                    SqlEventStore(engine=engine),
                    verifiers=trusted_verifiers(settings),
                    origin=settings.log_origin,
                )
        return store, lag, report
    finally:
        await engine.dispose()


async def _recorder_lag(settings: Settings) -> _Lag:
    bootstrap = settings.kafka_bootstrap_servers or (
        f"127.0.0.1:{settings.embedded_kafka_port}" if settings.embedded_kafka_port else None
    )
    if bootstrap is None:
        return _Lag(by_partition=None, problem="no broker address (embedded on port 0)")
    try:
        async with asyncio.timeout(_BROKER_TIMEOUT_S):
            return _Lag(
                by_partition=await group_lag(
                    bootstrap_servers=bootstrap,
                    group_id=settings.recorder_group_id,
                    topics=(TOPIC, ACCESS_TOPIC),
                    security=kafka_security(settings),
                )
            )
    except Exception as error:
        # One row says so; the database's half of the screen is still worth showing.
        return _Lag(
            by_partition=None,
            problem=f"broker {bootstrap} unreachable: {type(error).__name__}: {error}",
        )


def _print(
    settings: Settings, store: StoreStatus, lag: _Lag, report: VerificationReport | None
) -> None:
    table = Table(title="kapaudit status", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("state")
    last = store.last_recorded_at
    table.add_row(
        "log",
        f"{store.events} events"
        + ("" if last is None else f", last recorded {last:%Y-%m-%d %H:%M:%S} UTC"),
    )
    table.add_row("recorder lag", _recorder_row(lag))
    table.add_row(
        "projector lag",
        "\n".join(
            f"{printable(p.name)}: caught up"
            if p.positions == 0
            else f"[yellow]{printable(p.name)}: {p.positions} positions, {p.seconds:.1f} s[/]"
            for p in store.projections
        ),
    )
    table.add_row("last checkpoint", _checkpoint_row(store))
    table.add_row("chain health", _health_row(report))
    total = sum(store.rejected.values())
    table.add_row(
        "rejected",
        "none"
        if not total
        else f"[yellow]{total}[/]: "
        + ", ".join(f"{printable(reason)} {count}" for reason, count in store.rejected.items()),
    )
    console.print(table)


def _recorder_row(lag: _Lag) -> str:
    if lag.by_partition is None:
        return f"[yellow]unknown[/]: {printable(lag.problem)}"
    if not lag.by_partition:
        return "[yellow]unknown[/]: the topics do not exist yet"
    total = sum(lag.by_partition.values())
    behind = [f"{printable(t)}/{p} {n}" for (t, p), n in sorted(lag.by_partition.items()) if n]
    if not total:
        return f"caught up ({len(lag.by_partition)} partitions)"
    return f"[yellow]{total} messages[/]: " + ", ".join(behind)


def _checkpoint_row(store: StoreStatus) -> str:
    checkpoint = store.checkpoint
    if checkpoint is None:
        return "[yellow]none signed[/]" if store.events else "none (the log is empty)"
    unsigned = store.events - checkpoint.size
    return (
        f"size {checkpoint.size} at {checkpoint.created_at:%Y-%m-%d %H:%M:%S} UTC by "
        f"{printable(checkpoint.key_id)}"
        + (f"; [yellow]{unsigned} events since[/]" if unsigned > 0 else "; covers the log")
    )


def _health_row(report: VerificationReport | None) -> str:
    if report is None:
        return "not checked (--no-verify)"
    if report.intact:
        return f"[green]intact[/]: {report.events} events in {report.streams} streams"
    problems = len(report.broken) + len(report.tree)
    return f"[bold red]BROKEN[/]: {problems} problem(s); `kapaudit verify` lists them"
