"""Export throughput and memory: one clinic's 1,000,000 events into a bundle (SQLite).

Fills a fresh SQLite store with real rows (canonical events, per-stream hash chains,
Merkle leaves and subtrees, as the store and migration 0008 compute them, bulk
inserted), then exports the clinic in a child process and prints its events/s and
peak RSS. The FHIR and report writers are stand-ins that write nothing (they are
measured apart); access auditing is a no-op (no broker).

    make bench
    .venv/bin/python bench/export_throughput.py --events 100000
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from events import canonical_json, parse_event
from events.examples import EXAMPLES
from projections.recorded import Recorded
from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.export_ledger import SqlExportLedger
from services.adapters.sql.export_source import SqlExportSource
from services.checkpointing import CheckpointWriter
from services.clock import SystemClock
from services.exporting.disclosure import cli_requester
from services.exporting.documents import DocumentCounts, ExportScope
from services.exporting.ports import Requester
from services.exporting.service import ExportRequest, Exports
from services.log import GENESIS_HASH, chain_hash, record_bytes
from services.log.compact_range import CompactRange
from services.log.merkle import NodeId, leaf_hash
from services.log.note import Signer, generate_key
from services.offline.bundle_format import EntryLine
from services.period import Period

ORIGIN = "bench.local/log"
CLINIC = "clinic-bench"
_TYPES = ["session.started", "vitals.recorded", "dose.administered", "vitals.recorded"]
_PER_SESSION = 20
_START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _templates() -> list[str]:
    """Canonical event JSON per type, with placeholders to fill per event."""
    out = []
    for event_type in _TYPES:
        doc = copy.deepcopy(EXAMPLES[event_type])
        doc.update(
            event_id="00000000-0000-4000-8000-000000000000",
            clinic_id=CLINIC,
            patient_id="PATIENTXX",
            session_id="SESSIONXX",
            occurred_at="2026-11-24T08:00:00+00:00",
        )
        text = canonical_json(parse_event(json.dumps(doc).encode())).decode()
        out.append(text)
    return out


def fill(path: Path, events: int) -> None:
    """Rows as the store writes them, through sqlite3 for speed."""
    templates = _templates()
    probe = json.loads(templates[0])["occurred_at"]
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    recorded_at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    stored_at = recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    state = CompactRange()
    rows: list[tuple[Any, ...]] = []
    leaves: list[tuple[int, int, bytes]] = []
    nodes: list[tuple[int, int, bytes]] = []

    def keep(node: NodeId, digest: bytes) -> None:
        if node.level:
            nodes.append((node.level, node.index, digest))

    def flush() -> None:
        db.executemany(
            "INSERT INTO event_log (position, event_id, stream_id, sequence, event_type, "
            "schema_version, clinic_id, patient_id, session_id, occurred_at, recorded_at, "
            "event_json, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.executemany("INSERT INTO merkle_leaves VALUES (?,?,?)", leaves)
        db.executemany("INSERT INTO merkle_nodes VALUES (?,?,?)", nodes)
        db.commit()
        rows.clear()
        leaves.clear()
        nodes.clear()

    prev = GENESIS_HASH
    for i in range(events):
        number, sequence = divmod(i, _PER_SESSION)
        sequence += 1
        session, patient = f"s-{number}", f"p-{number // 10}"
        stream = f"{CLINIC}/session/{session}"
        occurred = _START + timedelta(seconds=i)
        template = templates[(sequence - 1) % len(templates)]
        event_id = str(uuid.uuid4())
        event_json = (
            template.replace("00000000-0000-4000-8000-000000000000", event_id)
            .replace("PATIENTXX", patient)
            .replace("SESSIONXX", session)
            .replace(probe, occurred.isoformat())
        )
        if sequence == 1:
            prev = GENESIS_HASH
        record = record_bytes(
            event_json=event_json, stream_id=stream, sequence=sequence, recorded_at=recorded_at
        )
        digest = chain_hash(prev_hash=prev, record=record)
        event_type = _TYPES[(sequence - 1) % len(_TYPES)]
        rows.append(
            (
                i + 1, event_id, stream, sequence, event_type, 1, CLINIC, patient, session,
                occurred.strftime("%Y-%m-%d %H:%M:%S.%f"), stored_at, event_json, prev, digest,
            )
        )  # fmt: skip
        prev = digest
        leaf = leaf_hash(record)
        leaves.append((i, i + 1, leaf))
        state = state.append(leaf, visit=keep)
        if len(rows) >= 20_000:
            flush()
    flush()
    db.close()


class _NullFhir:
    def __init__(self, *, root: Path, scope: ExportScope) -> None:
        self._count = 0

    def add(self, line: EntryLine, event: Mapping[str, Any]) -> None:
        self._count += 1

    def close(self) -> DocumentCounts:
        return DocumentCounts(counts={})


class _NullReports:
    def __init__(self, *, root: Path, scope: ExportScope) -> None:
        pass

    def add_stream(self, stream_id: str, entries: Sequence[Recorded]) -> None:
        pass

    def close(self) -> DocumentCounts:
        return DocumentCounts(counts={})


class _NoDisclosures:
    async def disclosed(self, **_: Any) -> None:
        return None


async def export(url: str, out: Path, key: str) -> dict[str, Any]:
    engine = create_engine(url)
    signer = Signer.parse(key)
    clock = SystemClock()
    store = SqlCheckpointStore(engine=engine)
    exports = Exports(
        ledger=SqlExportLedger(engine=engine),
        source=SqlExportSource(engine=engine),
        checkpoints=store,
        writer=CheckpointWriter(
            ledger=store, publisher=None, signer=signer, origin=ORIGIN, clock=clock
        ),
        signer=signer,
        disclosures=_NoDisclosures(),
        fhir=_NullFhir,
        reports=_NullReports,
        clock=clock,
        origin=ORIGIN,
    )
    requester: Requester = cli_requester()
    period = Period(start=_START, end=_START + timedelta(days=30), zone=ZoneInfo("UTC"))
    started = time.perf_counter()
    record = await exports.start(
        ExportRequest(
            clinic_id=CLINIC, period=period, patient_id=None, out=out, requester=requester
        )
    )
    result = await exports.run(record.export_id, requester=requester)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return {"events": result.counts["events"], "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, metavar=("URL", "OUT", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, out, key = args.child
        print(json.dumps(asyncio.run(export(url, Path(out), key))))
        return
    with tempfile.TemporaryDirectory(prefix="kapaudit-bench-") as scratch:
        path = Path(scratch) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"

        async def migrate() -> None:
            engine = create_engine(url)
            await upgrade_schema(engine)
            await engine.dispose()

        asyncio.run(migrate())
        began = time.perf_counter()
        fill(path, args.events)
        print(f"filled {args.events:,} events in {time.perf_counter() - began:.1f}s")
        key = generate_key(ORIGIN).signer
        child = subprocess.run(
            [sys.executable, __file__, "--child", url, str(Path(scratch) / "bundle"), key],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            sys.exit(child.stderr)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rate = figures["events"] / figures["seconds"]
        size = sum(f.stat().st_size for f in (Path(scratch) / "bundle").rglob("*") if f.is_file())
        print(
            f"exported {figures['events']:,} events in {figures['seconds']:.1f}s: "
            f"{rate:,.0f} events/s (target >= 50,000), peak RSS {peak_mb:.0f} MB "
            f"(target < 300 MB), bundle {size / 1e6:.0f} MB"
        )


if __name__ == "__main__":
    main()
