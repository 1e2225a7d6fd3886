"""``kapaudit``: run the stack, verify the log, export the contract."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import make_url

from services.adapters.kafka import EventPublisher, ensure_topics, kafka_security
from services.adapters.prometheus import PrometheusMetrics
from services.adapters.sql import SqlEventStore, engine_from_settings, upgrade_schema
from services.adapters.sql.roles import (
    Component,
    apply_roles,
    create_roles_sql,
    grants_sql,
    role_name,
)
from services.adapters.tansu import EmbeddedBroker
from services.cli.common import console, load_settings
from services.cli.demo_seed import print_demo_tokens, publish_demo_month
from services.cli.errors import CliError, friendly_errors
from services.cli.exports import export
from services.cli.keys import checkpoint, keys_app
from services.cli.profiles import profile_app
from services.cli.progress import counting_progress, publish_with_progress
from services.cli.projections import projections_app
from services.cli.proofs import prove_app
from services.cli.reports import report_app
from services.cli.status import status
from services.cli.tokens import tokens_app
from services.cli.verify_export import verify_export
from services.cli.verify_report import print_report, report_json
from services.clock import ReplayClock
from services.config import Settings
from services.garbage_collection import settle_after_startup
from services.runtime import Stack, running_stack
from services.signing_keys import DEFAULT_KEY_FILE, create_key_file, trusted_verifiers
from services.verification import VerificationReport, count_verification, verify_store

__all__ = ["app"]

app = typer.Typer(
    name="kapaudit",
    help="Tamper-evident audit trail for ketamine-assisted psychotherapy clinics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
schemas_app = typer.Typer(help="The event contract's JSON Schemas.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo clinic day.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
app.add_typer(demo_app, name="demo")
app.add_typer(report_app, name="report")
app.add_typer(projections_app, name="projections")
app.add_typer(profile_app, name="profile")
app.add_typer(tokens_app, name="tokens")
app.add_typer(keys_app, name="keys")
app.add_typer(prove_app, name="prove")
app.command("checkpoint")(checkpoint)
app.command("export")(export)
app.command("verify-export")(verify_export)
app.command("status")(status)


@app.command()
@friendly_errors
def up(
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Also publish the demo clinic's last four weeks through Kafka."
        ),
    ] = False,
) -> None:
    """Start the broker (embedded unless configured), the store and the recorder until Ctrl-C."""
    asyncio.run(_up(_with_signing_key(load_settings()), demo=demo))


def _with_signing_key(settings: Settings) -> Settings:
    """``settings`` with a signing key: the configured one, else one under the data dir."""
    if settings.signing_key_file is not None:
        return settings
    path = settings.data_dir / DEFAULT_KEY_FILE
    if path.exists():
        console.print(f"signing checkpoints with {escape(str(path))}")
    else:
        verifier = create_key_file(path, name=settings.log_origin)
        console.print(
            f"created a checkpoint signing key at {escape(str(path))}; "
            f"its verifier key is {escape(str(verifier))}"
        )
    return settings.model_copy(update={"signing_key_file": path})


@app.command()
@friendly_errors
def record() -> None:
    """Run only the recorder (production: one process per role, scaled apart)."""
    asyncio.run(_up(_external(load_settings()), demo=False, parts=_Parts(record=True)))


@app.command()
@friendly_errors
def project() -> None:
    """Run only the projector, keeping the read models in step with the log."""
    asyncio.run(_up(_external(load_settings()), demo=False, parts=_Parts(project=True)))


@app.command()
@friendly_errors
def serve() -> None:
    """Run only the HTTP API and dashboard on KAPAUDIT_HTTP_HOST:KAPAUDIT_HTTP_PORT."""
    asyncio.run(_up(_external(load_settings()), demo=False, parts=_Parts(serve_http=True)))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parts:
    record: bool = False
    project: bool = False
    serve_http: bool = False


_EVERYTHING = _Parts(record=True, project=True, serve_http=True)


def _external(settings: Settings) -> Settings:
    if settings.kafka_bootstrap_servers is None:
        raise CliError(
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS is not set",
            hint="set it to your Kafka, or use `kapaudit up` for the embedded broker",
        )
    return settings


async def _up(settings: Settings, *, demo: bool, parts: _Parts = _EVERYTHING) -> None:
    clock = ReplayClock()
    with _interruptions() as stop:
        async with running_stack(
            settings,
            record=parts.record,
            project=parts.project,
            serve_http=parts.serve_http,
            clock=clock if demo else None,
        ) as stack:
            _print_banner(stack)
            if parts.record and stack.settings.profiles_file is not None:
                await _seed_profiles(stack, stack.settings.profiles_file)
            if demo:
                await publish_demo_month(stack, clock)
                await print_demo_tokens(stack)
            if stack.http_url:
                url = escape(stack.http_url)
                console.print(f"Dashboard: {url}/  API docs: {url}/docs")
            if stack.metrics_url:
                # With port 0 this line is how an operator (or a test) learns the port.
                console.print(f"Metrics: {escape(stack.metrics_url)}")
            running = [
                name
                for name, on in (
                    ("recorder", parts.record),
                    ("projector", parts.project),
                    ("HTTP", parts.serve_http),
                )
                if on
            ]
            console.print(f"[green]Running {', '.join(running)}.[/] Press Ctrl-C to stop.")
            settle_after_startup()
            await stop.wait()
    console.print("Stopped.")


def _print_banner(stack: Stack) -> None:
    broker = "embedded Tansu" if stack.embedded else "Kafka"
    console.print(f"[bold]kapaudit[/] {broker} at {escape(stack.bootstrap_servers)}")
    # The URL may carry a password; the banner ends up in terminals and service logs.
    store = make_url(stack.settings.resolved_database_url()).render_as_string(hide_password=True)
    console.print(f"store: {escape(store)}")


async def _seed_profiles(stack: Stack, path: Path) -> None:
    from services.profiles import ClinicProfiles, seed_profiles

    async with EventPublisher(broker=stack.broker) as publisher:
        seeded = await seed_profiles(
            ClinicProfiles.from_file(path),
            source_file=path,
            store=stack.store,
            publisher=publisher,
            now=datetime.now(UTC),
        )
    for event in seeded:
        console.print(
            f"profile of {escape(event.clinic_id)} {event.payload.protocol} seeded from "
            f"{escape(path.name)} as a profile.changed (author profiles-file)"
        )


@contextlib.contextmanager
def _interruptions() -> Iterator[asyncio.Event]:
    """An event set by Ctrl-C or SIGTERM, so that shutdown runs in order, not as a traceback."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@app.command()
@friendly_errors
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A signed checkpoint kept outside the database (an export's "
            "data/proofs/checkpoint.txt, a copy from kap.checkpoints.v1); repeatable.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            help="Also write the result in Prometheus text format to this file (for "
            "node_exporter's textfile collector, e.g. .../kapaudit_verify.prom).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Re-compute every hash chain, check session owners and the log against its newest
    signed checkpoint and any kept elsewhere; exit 1 on any problem."""
    copies = [(f"checkpoint {path}", path.read_text(encoding="utf-8")) for path in checkpoint or []]
    report = asyncio.run(_verify(load_settings(), quiet=as_json, kept_elsewhere=copies))
    if metrics_file is not None:
        # A one-shot command has no port to scrape: node_exporter reads the file instead.
        metrics = PrometheusMetrics()
        count_verification(report, metrics, at=time.time())
        metrics.write_textfile(metrics_file)
    if as_json:
        console.print_json(json.dumps(report_json(report)))
    else:
        print_report(report)
    if not report.intact:
        raise typer.Exit(code=1)


async def _verify(
    settings: Settings, *, quiet: bool, kept_elsewhere: list[tuple[str, str]]
) -> VerificationReport:
    engine = engine_from_settings(settings)
    try:
        store = SqlEventStore(engine=engine)
        verify = partial(
            verify_store,
            store,
            verifiers=trusted_verifiers(settings),
            origin=settings.log_origin,
            kept_elsewhere=kept_elsewhere,
        )
        if quiet:
            return await verify()
        with counting_progress("verifying", total=None, console=console) as tick:
            return await verify(progress=tick)
    finally:
        await engine.dispose()


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Create or migrate the store's tables and append-only triggers."""

    async def run() -> None:
        engine = engine_from_settings(load_settings())
        try:
            await upgrade_schema(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    console.print("database is at the latest schema")


@db_app.command("roles")
@friendly_errors
def db_roles(
    prefix: Annotated[
        str, typer.Option("--prefix", help="Roles are named PREFIX_owner, PREFIX_recorder, ...")
    ] = "kapaudit",
    schema: Annotated[str, typer.Option("--schema", help="Schema holding the tables.")] = "public",
    database: Annotated[str, typer.Option("--database", help="Database to connect to.")] = (
        "kapaudit"
    ),
    grants_only: Annotated[
        bool, typer.Option("--grants-only", help="Only the GRANTs to run after `db upgrade`.")
    ] = False,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Instead of printing: create the recorder, projector and reader roles and "
            "grant them, connected as KAPAUDIT_DATABASE_URL (the tables' owner). Passwords "
            "from KAPAUDIT_RECORDER_DB_PASSWORD, KAPAUDIT_PROJECTOR_DB_PASSWORD and "
            "KAPAUDIT_READER_DB_PASSWORD, where set.",
        ),
    ] = False,
) -> None:
    """Print the SQL for least-privilege PostgreSQL roles: owner, recorder, projector, reader."""
    if apply:
        _apply_roles(prefix)
        return
    try:
        roles = create_roles_sql(prefix=prefix, schema=schema, database=database)
        grants = grants_sql(prefix=prefix, schema=schema)
    except ValueError as error:
        raise CliError(f"--prefix: {error}", hint="e.g. --prefix kapaudit") from None
    owner = role_name(prefix, None)
    if grants_only:
        typer.echo("\n".join(f"{statement};" for statement in grants))
        return
    lines = [
        "-- 1. As a database administrator, once. Then set each password with \\password ROLE.",
        *(f"{statement};" for statement in roles),
        "",
        f"-- 2. As {owner}: `kapaudit db upgrade` (KAPAUDIT_DATABASE_URL naming {owner}).",
        f"-- 3. As {owner}, after every `kapaudit db upgrade`:",
        *(f"{statement};" for statement in grants),
    ]
    typer.echo("\n".join(lines))


def _apply_roles(prefix: str) -> None:
    settings = load_settings()
    if make_url(settings.resolved_database_url()).get_backend_name() != "postgresql":
        raise CliError(
            "--apply: the store is SQLite, which has no roles",
            hint="protect the SQLite file with file permissions; roles are for PostgreSQL",
        )
    try:
        role_name(prefix, None)
    except ValueError as error:
        raise CliError(f"--prefix: {error}", hint="e.g. --prefix kapaudit") from None
    passwords = {
        component: password
        for component in Component
        if (password := os.environ.get(f"KAPAUDIT_{component.value.upper()}_DB_PASSWORD"))
    }

    async def run() -> list[str]:
        engine = engine_from_settings(settings)
        try:
            return await apply_roles(engine, prefix=prefix, passwords=passwords)
        finally:
            await engine.dispose()

    names = asyncio.run(run())
    console.print(f"roles granted: {escape(', '.join(names))}")


@topics_app.command("create")
@friendly_errors
def topics_create() -> None:
    """Create the event, access, dead-letter and checkpoint topics on the configured Kafka."""
    settings = load_settings()
    if settings.kafka_bootstrap_servers is None:
        raise CliError(
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS is not set",
            hint="`kapaudit up` creates the topics on the embedded broker by itself",
        )
    created = asyncio.run(
        ensure_topics(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
            security=kafka_security(settings),
        )
    )
    console.print(f"created: {escape(', '.join(created))}" if created else "topics already exist")


@app.command()
@friendly_errors
def asyncapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
) -> None:
    """Print the AsyncAPI document of kapaudit's topics."""
    from services.adapters.kafka.asyncapi import asyncapi_document

    if fmt not in ("yaml", "json"):
        raise CliError(f"--format: unknown format {fmt!r}", hint="use yaml or json")
    text = asyncapi_document(fmt=fmt)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {escape(str(output))}")


@schemas_app.command("export")
@friendly_errors
def schemas_export(
    directory: Annotated[
        Path, typer.Option("--directory", "-d", help="Where to write the schemas.")
    ] = Path("events/schemas"),
) -> None:
    """Write one JSON Schema per event type."""
    from events.schema_export import write_schemas

    written = write_schemas(directory=directory)
    console.print(f"wrote {len(written)} schemas to {escape(str(directory))}")


@demo_app.command("publish")
@friendly_errors
def demo_publish() -> None:
    """Publish the demo clinic day to KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS (or the embedded port)."""
    from services.demo import demo_day_events

    settings = load_settings()
    bootstrap = settings.kafka_bootstrap_servers or f"127.0.0.1:{settings.embedded_kafka_port}"
    security = kafka_security(settings)

    async def run() -> None:
        async with EventPublisher(bootstrap_servers=bootstrap, security=security) as publisher:
            await publish_with_progress(
                publisher, demo_day_events(now=datetime.now(UTC)), console=console
            )

    asyncio.run(run())


@app.command()
@friendly_errors
def broker() -> None:
    """Run only the embedded Tansu broker, with kapaudit's topics, until Ctrl-C (for
    development)."""
    settings = load_settings()

    async def run() -> None:
        with _interruptions() as stop:
            async with EmbeddedBroker(port=settings.embedded_kafka_port) as embedded:
                # It starts empty, and Tansu acknowledges sends to a topic it does not have
                # while keeping none of them: the topics are made before it says it is up.
                await ensure_topics(
                    bootstrap_servers=embedded.bootstrap_servers,
                    partitions=settings.kafka_partitions,
                    # As ``kapaudit up`` does for its embedded broker.
                    security=kafka_security(settings),
                )
                console.print(
                    f"embedded Tansu broker at {escape(embedded.bootstrap_servers)}; "
                    "Ctrl-C stops it"
                )
                await stop.wait()

    asyncio.run(run())


if __name__ == "__main__":
    app()
