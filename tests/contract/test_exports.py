"""An export bundle made through every backend's ports (memory, SQLite, PostgreSQL) checks
offline, and is byte for byte the bundle the memory ports make of the same log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from events import AccessChannel, AccessRole
from services.adapters.memory import RecordingAccessLog
from services.chain.note import Signer, Verifier, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import FixedClock
from services.demo import demo_day_events
from services.exporting.disclosure import AuditedDisclosures
from services.exporting.ports import Requester
from services.exporting.service import ExportRequest, Exports
from services.exporting.writers import document_writers
from services.offline.verify import verify_bundle
from services.period import resolve_period
from services.reading import AuditedReads
from tests.contract.conftest import Backend
from tests.factories import valid

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
ORIGIN = "kapaudit.test/log"
KEY = generate_key(ORIGIN)
BOARD = Requester(name="board", role=AccessRole.REGULATOR, channel=AccessChannel.CLI)


async def _bundle(backend: Backend, out: Path) -> tuple[Path, dict[str, int], RecordingAccessLog]:
    """The demo day recorded through ``backend``, then exported to ``out``."""
    clock = FixedClock(at=NOW)
    documents = demo_day_events(now=NOW)
    await backend.event_store().record(
        valid=[valid(d) for d in documents], invalid=[], recorded_at=NOW
    )
    queries = await backend.compliance_queries(clock=clock)
    signer = Signer.parse(KEY.signer)
    disclosed = RecordingAccessLog()
    fhir, reports = document_writers()
    exports = Exports(
        ledger=backend.export_ledger(),
        source=backend.export_source(),
        checkpoints=backend.checkpoint_store(),
        writer=CheckpointWriter(
            ledger=backend.checkpoint_store(),
            publisher=None,
            signer=signer,
            origin=ORIGIN,
            clock=clock,
        ),
        signer=signer,
        disclosures=AuditedDisclosures(
            reads=AuditedReads(
                access_log=disclosed,
                session_owners=queries.clinic_and_patient_of,
                deadline=5.0,
            )
        ),
        fhir=fhir,
        reports=reports,
        clock=clock,
        origin=ORIGIN,
    )
    day = date(2026, 11, 24)
    record = await exports.start(
        ExportRequest(
            clinic_id="clinic-demo",
            period=resolve_period(day, day, zone=ZoneInfo("America/Denver"), now=NOW),
            patient_id=None,
            out=out,
            requester=BOARD,
            export_id="exp-contract",
        )
    )
    result = await exports.run(record.export_id, requester=BOARD)
    return result.path, result.counts, disclosed


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


async def test_an_export_checks_offline_and_equals_the_memory_ports_bundle(
    backend: Backend, tmp_path: Path
) -> None:
    path, counts, disclosed = await _bundle(backend, tmp_path / "bundle")

    report = verify_bundle(path, key=Verifier.parse(KEY.verifier))
    assert report.ok, [finding for finding in report.findings]
    assert report.entries == counts["events"] + counts["access"] > 0
    assert counts["sessions"] > 0
    assert disclosed.allowed, "the bundle's patients were disclosed before it was written"

    reference, *_ = await _bundle(Backend(name="memory"), tmp_path / "reference")
    ours, theirs = _files(path), _files(reference)
    assert sorted(ours) == sorted(theirs)
    differing = [name for name in ours if ours[name] != theirs[name]]
    assert differing == []
