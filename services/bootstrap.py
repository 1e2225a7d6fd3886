"""The one place that wires ports to adapters."""

from __future__ import annotations

import functools
import logging

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import (
    AfterCommit,
    EventPublisher,
    KafkaCheckpointPublisher,
    KafkaDeadLetterSink,
    register_recorder,
)
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.sql.engine import answers
from services.adapters.sql.export_ledger import SqlExportLedger
from services.adapters.sql.export_source import SqlExportSource
from services.adapters.sql.merkle_tree import SqlMerkleTree
from services.adapters.sql.token_store import SqlTokenStore
from services.checkpointing import CheckpointSchedule, CheckpointWriter
from services.clinic_zones import ClinicZones
from services.clock import Clock, SystemClock
from services.config import Settings
from services.exporting.disclosure import AuditedDisclosures
from services.exporting.ports import FhirDocumentFactory, ReportDocumentsFactory
from services.exporting.queue import ExportQueue
from services.exporting.service import Exports
from services.exporting.writers import document_writers
from services.http.context import HttpContext
from services.metrics import NO_METRICS, Metrics
from services.projecting import Projector
from services.proofs import LogProofs
from services.rate_limits import ApiLimits, Limit
from services.reading import AuditedReads
from services.reading.access_auditor import AccessAuditor
from services.recording import Recorder
from services.signing_keys import configured_key_file, load_signer, trusted_verifiers

__all__ = [
    "DISCLOSURE_DEADLINE_SECONDS",
    "wire_checkpoints",
    "wire_export_queue",
    "wire_exports",
    "wire_http",
    "wire_projector",
    "wire_proofs",
    "wire_recorder",
]

_log = logging.getLogger("kapaudit")

DISCLOSURE_DEADLINE_SECONDS = 30.0
"""How long an export waits for the access log to acknowledge its disclosures before it
fails (closed: no bundle). Longer than a request's wait, since no client is waiting on
it, but bounded: aiokafka would retry an unreachable broker for much longer."""


def wire_checkpoints(
    *, settings: Settings, engine: AsyncEngine, broker: KafkaBroker | None, clock: Clock
) -> CheckpointWriter | None:
    """The checkpoint writer for the configured signing key (``None`` without one); it
    publishes to Kafka when given a broker."""
    if settings.signing_key_file is None:
        return None
    return CheckpointWriter(
        ledger=SqlCheckpointStore(engine=engine),
        publisher=(
            None
            if broker is None
            else KafkaCheckpointPublisher(broker=broker, origin=settings.log_origin)
        ),
        signer=load_signer(settings.signing_key_file),
        origin=settings.log_origin,
        clock=clock,
    )


def wire_recorder(
    *,
    settings: Settings,
    broker: KafkaBroker,
    engine: AsyncEngine,
    clock: Clock | None = None,
    after_commit: AfterCommit | None = None,
    metrics: Metrics = NO_METRICS,
) -> Recorder:
    """Build the recorder on the SQL store and Kafka dead letters, and subscribe it; it
    signs checkpoints as due when a signing key is configured. ``after_commit`` is the
    fault suite's hook (see ``register_recorder``)."""
    clock = clock or SystemClock()
    writer = wire_checkpoints(settings=settings, engine=engine, broker=broker, clock=clock)
    if writer is None:
        _log.warning("KAPAUDIT_SIGNING_KEY_FILE is not set: the recorder signs no checkpoints")
    recorder = Recorder(
        store=SqlEventStore(engine=engine),
        dead_letters=KafkaDeadLetterSink(broker=broker),
        clock=clock,
        metrics=metrics,
        checkpoints=(
            None
            if writer is None
            else CheckpointSchedule(
                writer=writer,
                every_events=settings.checkpoint_every_events,
                every_seconds=settings.checkpoint_every_seconds,
                clock=clock,
            )
        ),
    )
    register_recorder(
        broker,
        recorder=recorder,
        group_id=settings.recorder_group_id,
        batch_size=settings.recorder_batch_size,
        batch_timeout_ms=settings.recorder_batch_timeout_ms,
        after_commit=after_commit,
        metrics=metrics,
    )
    return recorder


def wire_proofs(*, engine: AsyncEngine) -> LogProofs:
    """Proofs from the SQL Merkle tree and checkpoints table."""
    return LogProofs(
        tree=SqlMerkleTree(engine=engine), checkpoints=SqlCheckpointStore(engine=engine)
    )


def wire_projector(
    *,
    settings: Settings,
    engine: AsyncEngine,
    clock: Clock | None = None,
    metrics: Metrics = NO_METRICS,
    names: list[str] | None = None,
) -> Projector:
    """The projector over the SQL read models, judging verdicts on the clinics' clocks."""
    clock = clock or SystemClock()
    return Projector(
        store=SqlProjectionStore(
            engine=engine, clock=clock, zones=ClinicZones.from_settings(settings)
        ),
        names=names,
        batch_size=settings.projector_batch_size,
        clock=clock,
        metrics=metrics,
    )


def wire_http(
    *,
    settings: Settings,
    broker: KafkaBroker,
    engine: AsyncEngine,
    clock: Clock | None = None,
    exports: ExportQueue | None = None,
    metrics: Metrics = NO_METRICS,
) -> HttpContext:
    """The HTTP side's ports: publishing and access auditing go through ``broker``;
    ``exports`` makes the bundles requested over HTTP (``wire_export_queue``)."""
    clock = clock or SystemClock()
    publisher = EventPublisher(broker=broker)

    async def broker_ready() -> bool:
        return bool(await broker.ping(timeout=2.0))

    return HttpContext(
        store=SqlEventStore(engine=engine),
        queries=SqlComplianceQueries(
            engine=engine, clock=clock, zones=ClinicZones.from_settings(settings)
        ),
        tokens=SqlTokenStore(engine=engine),
        publisher=publisher,
        auditor=AccessAuditor(publisher=publisher, clock=clock),
        clock=clock,
        zones=ClinicZones.from_settings(settings),
        broker_ready=broker_ready,
        database_ready=functools.partial(answers, engine),
        proofs=wire_proofs(engine=engine),
        log_origin=settings.log_origin,
        trusted_keys=tuple(trusted_verifiers(settings)),
        limits=ApiLimits.of(
            requests=Limit(per_minute=settings.api_requests_per_minute, burst=settings.api_burst),
            expensive=Limit(
                per_minute=settings.api_expensive_per_minute, burst=settings.api_expensive_burst
            ),
        ),
        exports=exports,
        metrics=metrics,
    )


def wire_export_queue(
    *, settings: Settings, engine: AsyncEngine, broker: KafkaBroker, clock: Clock | None = None
) -> ExportQueue | None:
    """The server's export queue, writing to the export directory; None when no signing
    key is configured (nor created by ``kapaudit up`` under the data directory)."""
    key_file = configured_key_file(settings)
    if key_file is None:
        _log.warning("no signing key: the HTTP server offers no exports")
        return None
    settings = settings.model_copy(update={"signing_key_file": key_file})
    return ExportQueue(
        exports=wire_exports(settings=settings, engine=engine, broker=broker, clock=clock),
        directory=settings.resolved_export_dir(),
    )


def wire_exports(
    *,
    settings: Settings,
    engine: AsyncEngine,
    broker: KafkaBroker,
    writers: tuple[FhirDocumentFactory, ReportDocumentsFactory] | None = None,
    clock: Clock | None = None,
    disclosure_deadline: float = DISCLOSURE_DEADLINE_SECONDS,
) -> Exports:
    """The export service: reads the store, signs with the configured key (a fresh
    checkpoint when the newest does not cover the log), records disclosures through
    ``broker`` through the audited reads, and writes the documents with ``writers``
    (default: the FHIR bundle and the reports, judged with the configured clinic
    profiles)."""
    clock = clock or SystemClock()
    fhir, reports = writers or document_writers()
    queries = SqlComplianceQueries(engine=engine, clock=clock)
    key_file = settings.signing_key_file
    return Exports(
        ledger=SqlExportLedger(engine=engine),
        source=SqlExportSource(engine=engine),
        checkpoints=SqlCheckpointStore(engine=engine),
        writer=wire_checkpoints(settings=settings, engine=engine, broker=broker, clock=clock),
        signer=None if key_file is None else load_signer(key_file),
        disclosures=AuditedDisclosures(
            reads=AuditedReads(
                access_log=AccessAuditor(publisher=EventPublisher(broker=broker), clock=clock),
                session_owners=queries.clinic_and_patient_of,
                deadline=disclosure_deadline,
            )
        ),
        fhir=fhir,
        reports=reports,
        clock=clock,
        origin=settings.log_origin,
        profiles=lambda clinic_id: queries.profile_history([clinic_id]),
    )
