"""The command line's reads of patient data, audited like the API's (issue 9 §5).

``kapaudit report`` holds the database's credentials and could read the read models
directly; it goes through ``services.reading`` instead, so that what it prints is in the
access log first, under ``cli:<os user>@<host>`` with the role ``admin`` on the channel
``cli``. Recording needs the broker: without one nothing is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiokafka.errors import KafkaConnectionError

from events import AccessChannel
from services.adapters.kafka import EventPublisher, kafka_security, make_broker
from services.cli.common import load_settings, queries
from services.cli.errors import CliError
from services.clock import SystemClock
from services.config import Settings
from services.reading import (
    Allowed,
    AuditedReads,
    Missing,
    ReadOutcome,
    ReadRequest,
    UnrecordedReadError,
    command_line_reader,
)
from services.reading.access_auditor import AccessAuditor
from services.reading.queries import HistoryQueries

__all__ = ["CliReads", "ask_audited", "read_request", "shown"]

T = TypeVar("T")

# As long as an export waits for its disclosures: a terminal user would rather wait than
# retry, and a broker that does not answer in this long is not coming back soon.
_DEADLINE_SECONDS = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CliReads:
    """What one command reads with: the read models and the audited path to them."""

    queries: HistoryQueries
    reads: AuditedReads


def read_request(command: str, **options: str | None) -> ReadRequest:
    """The command as the access log names it, e.g. ``kapaudit report ledger clinic-demo``,
    with the options given (those left out are not recorded)."""
    return ReadRequest(
        principal=command_line_reader(),
        channel=AccessChannel.CLI,
        resource=command,
        query={name: value for name, value in options.items() if value is not None},
    )


def ask_audited(question: Callable[[CliReads], Awaitable[T]]) -> T:
    """Run ``question`` with the read models brought up to date and the broker connected;
    a read the access log did not acknowledge becomes a one-line error."""
    settings = load_settings()

    async def run() -> T:
        async with _connected(settings) as cli_reads:
            try:
                return await question(cli_reads)
            except UnrecordedReadError:
                raise CliError(
                    "the access log did not acknowledge this read, so nothing was printed",
                    hint="every read of patient data is recorded first: check that Kafka "
                    "is up (`kapaudit up`) and try again",
                ) from None

    return asyncio.run(run())


def shown(outcome: ReadOutcome[T], *, what: str, hint: str) -> T:
    """The value of an allowed read; the CLI reads as an admin, so the only other answer
    is that nothing has that id."""
    if isinstance(outcome, Allowed):
        return outcome.value
    if isinstance(outcome, Missing):
        raise CliError(f"no {outcome.what} {what} in the log", hint=hint)
    raise CliError(f"{what}: not a {outcome.what} this command may read", hint=hint)


@contextlib.asynccontextmanager
async def _connected(settings: Settings) -> AsyncIterator[CliReads]:
    bootstrap = settings.kafka_bootstrap_servers or f"127.0.0.1:{settings.embedded_kafka_port}"
    broker = make_broker(
        bootstrap_servers=bootstrap,
        idempotent=settings.kafka_idempotent_producer,
        security=kafka_security(settings),
    )
    async with queries(settings) as read_models:
        try:
            try:
                await broker.start()
            except KafkaConnectionError as error:
                raise CliError(
                    f"cannot reach Kafka at {bootstrap}: {error}",
                    hint="reports of patient data are recorded in the access log through "
                    "Kafka: start `kapaudit up`, or set KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS",
                ) from None
            yield CliReads(
                queries=read_models,
                reads=AuditedReads(
                    access_log=AccessAuditor(
                        publisher=EventPublisher(broker=broker), clock=SystemClock()
                    ),
                    session_owners=read_models.clinic_and_patient_of,
                    deadline=_DEADLINE_SECONDS,
                ),
            )
        finally:
            await broker.stop()
