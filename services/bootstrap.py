"""The one place that wires ports to adapters."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access import AccessAuditor
from services.adapters.kafka import EventPublisher, KafkaDeadLetterSink, register_recorder
from services.adapters.sql import SqlEventStore
from services.adapters.sql.token_store import SqlTokenStore
from services.clinic_zones import ClinicZones
from services.clock import Clock, SystemClock
from services.config import Settings
from services.http.context import HttpContext
from services.profiles import ClinicProfiles
from services.queries import ComplianceQueries
from services.recording import Recorder

__all__ = ["wire_http", "wire_recorder"]


def wire_recorder(
    *,
    settings: Settings,
    broker: KafkaBroker,
    engine: AsyncEngine,
    clock: Clock | None = None,
) -> Recorder:
    """Build the recorder on the SQL store and Kafka dead letters, and subscribe it."""
    recorder = Recorder(
        store=SqlEventStore(engine=engine),
        dead_letters=KafkaDeadLetterSink(broker=broker),
        clock=clock or SystemClock(),
    )
    register_recorder(
        broker,
        recorder=recorder,
        group_id=settings.recorder_group_id,
        batch_size=settings.recorder_batch_size,
        batch_timeout_ms=settings.recorder_batch_timeout_ms,
    )
    return recorder


def wire_http(
    *,
    settings: Settings,
    broker: KafkaBroker,
    engine: AsyncEngine,
    clock: Clock | None = None,
) -> HttpContext:
    """The HTTP side's ports: publishing and access auditing go through ``broker``."""
    clock = clock or SystemClock()
    publisher = EventPublisher(broker=broker)

    async def broker_ready() -> bool:
        return bool(await broker.ping(timeout=2.0))

    return HttpContext(
        engine=engine,
        store=SqlEventStore(engine=engine),
        queries=ComplianceQueries(
            engine=engine, clock=clock, profiles=ClinicProfiles.from_file(settings.profiles_file)
        ),
        tokens=SqlTokenStore(engine=engine),
        publisher=publisher,
        auditor=AccessAuditor(publisher=publisher, clock=clock),
        clock=clock,
        zones=ClinicZones.from_settings(settings),
        broker_ready=broker_ready,
    )
