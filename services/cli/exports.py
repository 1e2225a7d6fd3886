"""``kapaudit export``: a clinic's signed, verifiable bundle for a regulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.errors import KafkaConnectionError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from services.adapters.kafka import kafka_security, make_broker
from services.adapters.sql import engine_from_settings, upgrade_schema
from services.bootstrap import wire_exports
from services.cli.common import console, load_settings, printable
from services.cli.errors import CliError, friendly_errors
from services.cli.reports import From, To, clinic_period
from services.clock import SystemClock
from services.config import Settings
from services.exporting.bag import BundleExistsError
from services.exporting.disclosure import cli_requester
from services.exporting.service import (
    ExportError,
    ExportRequest,
    ExportResult,
    NoSigningKeyError,
    UnknownClinicError,
)
from services.signing_keys import configured_key_file

__all__ = ["export"]


@friendly_errors
def export(
    clinic: Annotated[str, typer.Option("--clinic", help="The clinic whose log is exported.")],
    out: Annotated[
        Path,
        typer.Option("--out", help="The bundle to create: a directory, or a file ending in .zip."),
    ],
    start: From = None,
    end: To = None,
    patient: Annotated[
        str | None, typer.Option("--patient", help="Only this patient's streams.")
    ] = None,
    previous_size: Annotated[
        list[int] | None,
        typer.Option(
            "--previous-size",
            help="Tree size of a checkpoint the recipient holds (repeatable): the bundle "
            "proves its checkpoint extends it.",
        ),
    ] = None,
) -> None:
    """Write a signed BagIt bundle of a clinic's log entries for a period, with the
    proofs that tie them to a signed checkpoint; the access log records every patient."""
    settings = load_settings()
    period = clinic_period(clinic, start, end)
    if out.exists():
        # Before any connection: the quickest mistake to point out.
        raise CliError(
            f"{out} exists already", hint="choose another --out; an export never overwrites"
        )
    request = ExportRequest(
        clinic_id=clinic,
        period=period,
        patient_id=patient,
        out=out,
        requester=cli_requester(),
        previous_sizes=tuple(previous_size or ()),
    )
    result = asyncio.run(_export(settings, request))
    counts = result.counts
    console.print(f"[green]exported[/] {printable(result.path)}", soft_wrap=True)
    console.print(
        f"{counts['events']} events, {counts['access']} access records, "
        f"{counts['streams']} streams, {counts['patients']} patients, "
        f"{counts['sessions']} sessions; checkpoint of size {result.checkpoint_size}",
        soft_wrap=True,
    )


async def _export(settings: Settings, request: ExportRequest) -> ExportResult:
    key_file = configured_key_file(settings)
    if key_file is None:
        raise CliError(
            "no signing key: bundles are signed with the log's checkpoint key",
            hint="set KAPAUDIT_SIGNING_KEY_FILE (or run `kapaudit up` once, which creates "
            "one under the data directory)",
        )
    settings = settings.model_copy(update={"signing_key_file": key_file})
    bootstrap = settings.kafka_bootstrap_servers or f"127.0.0.1:{settings.embedded_kafka_port}"
    engine = engine_from_settings(settings)
    broker = make_broker(
        bootstrap_servers=bootstrap,
        idempotent=settings.kafka_idempotent_producer,
        security=kafka_security(settings),
    )
    try:
        await upgrade_schema(engine)
        try:
            await broker.start()
        except KafkaConnectionError as error:
            raise CliError(
                f"cannot reach Kafka at {bootstrap}: {error}",
                hint="an export records its disclosures in the access log through Kafka: "
                "start `kapaudit up`, or set KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS",
            ) from None
        exports = wire_exports(
            settings=settings,
            engine=engine,
            broker=broker,
            clock=SystemClock(),
        )
        with _explained(), _bar("exporting") as tick:
            record = await exports.start(request)
            return await exports.run(record.export_id, requester=request.requester, progress=tick)
    finally:
        await broker.stop()
        await engine.dispose()


@contextlib.contextmanager
def _explained() -> Iterator[None]:
    try:
        yield
    except UnknownClinicError as error:
        raise CliError(
            str(error), hint="check --clinic: it must name a clinic with events in the log"
        ) from None
    except NoSigningKeyError as error:
        raise CliError(
            str(error), hint="`kapaudit keys create --out PATH`, then KAPAUDIT_SIGNING_KEY_FILE"
        ) from None
    except BundleExistsError as error:
        raise CliError(
            str(error), hint="choose another --out; an export never overwrites a file"
        ) from None
    except ExportError as error:
        raise CliError(str(error), hint="see `kapaudit export --help`") from None


@contextlib.contextmanager
def _bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """``tick(done, total)``: the total is known only once the export has selected."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield tick
