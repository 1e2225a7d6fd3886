"""Export throughput and memory: one clinic's 1,000,000 events into a bundle (SQLite).

Fills a fresh SQLite store with real rows (canonical events, per-stream hash chains,
Merkle leaves and subtrees, as the store and migration 0008 compute them, bulk
inserted), then exports the clinic in a child process with the writers every bundle is
made with (FHIR bundle, compliance reports, REMS forms, controlled-substance log), seals
the bag and prints events/s and peak RSS. Access auditing is a no-op (no broker).

The clinic's log is the demo clinic day (``services.demo``: 24 sessions of four
protocols, consents, REMS enrolments, doses, wastes, vitals, discharges, integration
notes, an amendment, planted lapses) repeated day after day with fresh patients,
sessions and event ids, so that the reports judge every session as they would a real one.

    make bench
    .venv/bin/python bench/export_throughput.py --events 100000
    .venv/bin/python bench/export_throughput.py --events 100000 --zip
    .venv/bin/python bench/export_throughput.py --events 100000 --profile /tmp/export.prof
    .venv/bin/python bench/export_throughput.py --events 100000 --keep /tmp  # the bundle

Figures (SQLite, folder bundle, 2 cores shared with other jobs, issue 8 section 6 target:
>= 50,000 events/s, peak RSS < 300 MB; ``--events 1000000`` unless said):

- before (9fec264, main's export code): 283.3 s, 3,530 events/s, peak RSS 537 MB (load ~2).
- after (1e35c34): 303.0 s, 3,300 events/s, peak RSS 547 MB, but run with load ~3.8 from
  other jobs: not comparable. Same conditions, both at once, 200,000 events: before
  1,564 events/s, after 1,962 (x1.25; 199 and 200 MB); cProfile of 100,000 events 44.6 s
  before, 28.6 s after (x1.56); 20,000 events alone 4,215-4,664 before, 5,566 after.
- where the 28.6 s (cProfile, 100,000 events) still go: judging 5,880 sessions 9.4 s
  (rules 5.5, substance log 1.4, REMS forms 1.1, folds 0.6), waiting for SQLite 4.0 s plus
  row conversion 2.4 s, validating stream-pass events 2.7 s, FHIR entries 2.4 s, entry
  lines 1.6 s, tree.jsonl 1.1 s. 50,000 events/s is out of reach of one Python process
  while each session costs ~1 ms to judge (~60 us an event).
- peak RSS grows ~42 MB per 100,000 events: the report writer keeps every patient's parsed
  history (patient streams all arrive before any session) and every report row until
  ``close``, which renders each file as one string.
- floors, measured in the same run (``floor``): the bare sqlite3 driver reading every row
  and writing only ``events.jsonl`` (plus SHA-256), and the same plus the FHIR bundle
  through the exporter's own writer. 2026-12-04, 100,000 events, load ~3 from other jobs:
  export 6,547 events/s; floor without FHIR 62,239 (export at 0.11 of it); floor with
  FHIR 38,236 (0.17). The bundle the issue asks for cannot reach 50,000 events/s in one
  Python process even with no database layer, no reports and no proofs: the target needs
  the work split across processes, and the reports need stored verdicts (issue 11) to stop
  judging ~60 us an event.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from events import canonical_json, parse_event, stream_id
from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.export_ledger import SqlExportLedger
from services.adapters.sql.export_source import SqlExportSource
from services.chain import GENESIS_HASH, chain_hash, record_bytes
from services.chain.compact_range import CompactRange
from services.chain.merkle import NodeId, leaf_hash
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import SystemClock
from services.demo.clinic_day import CLINIC_ZONE, DEFAULT_DAY, demo_day_events
from services.exporting.disclosure import cli_requester
from services.exporting.documents import ExportScope
from services.exporting.fhir_bundle import FhirBundleWriter
from services.exporting.ports import Requester
from services.exporting.service import ExportRequest, Exports
from services.exporting.writers import document_writers
from services.offline.bundle_format import FHIR_FILE, EntryLine
from services.period import Period

ORIGIN = "bench.local/log"
CLINIC = "clinic-bench"
# Publishing lag: every event reaches the log half a minute after it happened.
_LAG = timedelta(seconds=30)
_STORED = "%Y-%m-%d %H:%M:%S.%f"
# What a demo day's canonical event text varies by from one copy of the day to the next:
# its dates, its session and patient ids, and its event ids (whose first 8 hex digits are
# replaced, which keeps them unique and an amendment's reference pointing at its copy).
_VARYING = re.compile(
    r"(\d{4}-\d{2}-\d{2}(?=T)|sess-demo-|\"patient_id\":\"pt-|"
    r"[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"))"
)


class _Template:
    """One event of the demo day, its text split where copies of the day differ."""

    def __init__(self, text: str) -> None:
        event = parse_event(text.encode())
        self.event_type = event.event_type
        self.session_id = event.session_id
        self.patient_id = event.patient_id
        self.stream_kind = stream_id(event).split("/")[1]
        self.occurred = event.occurred_at.astimezone(UTC)
        self.parts = _VARYING.split(text)

    def render(self, copy: int, shift: timedelta, dates: dict[str, str]) -> str:
        out = []
        for n, part in enumerate(self.parts):
            if not n % 2:
                out.append(part)
            elif part == "sess-demo-":
                out.append(f"sess-{copy}-")
            elif part.startswith('"patient_id"'):
                out.append(f'"patient_id":"pt{copy}-')
            elif len(part) == 8:
                out.append(f"{copy:08x}")
            else:
                shifted = dates.get(part)
                if shifted is None:
                    shifted = dates[part] = (date.fromisoformat(part) + shift).isoformat()
                out.append(shifted)
        return "".join(out)


def _day_templates() -> list[_Template]:
    return [
        _Template(canonical_json(parse_event(json.dumps(document).encode())).decode())
        for document in demo_day_events(clinic_id=CLINIC)
    ]


def _days(events: int, per_day: int) -> int:
    return -(-events // per_day)


def fill(path: Path, events: int) -> Period:
    """Rows as the store writes them, through sqlite3 for speed; returns a period that
    holds every session."""
    templates = _day_templates()
    days = _days(events, len(templates))
    # The last copy is the demo day itself, so that every copy lies in the past.
    first = DEFAULT_DAY - timedelta(days=days - 1)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
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

    heads: dict[str, tuple[int, str]] = {}
    i = 0
    for copy in range(days):
        shift = timedelta(days=copy - days + 1)
        dates: dict[str, str] = {}
        for template in templates:
            if i == events:
                break
            event_json = template.render(copy, shift, dates)
            if copy == 1 and i % 7 == 0:
                # Copies must stay what the log would have stored.
                assert canonical_json(parse_event(event_json.encode())).decode() == event_json
            patient = f"pt{copy}-{template.patient_id.removeprefix('pt-')}"
            session = (
                None
                if template.session_id is None
                else f"sess-{copy}-" + (template.session_id.removeprefix("sess-demo-"))
            )
            key = session if template.stream_kind == "session" else patient
            stream = f"{CLINIC}/{template.stream_kind}/{key}"
            sequence, prev = heads.get(stream, (0, GENESIS_HASH))
            sequence += 1
            occurred = template.occurred + shift
            recorded_at = occurred + _LAG
            record = record_bytes(
                event_json=event_json, stream_id=stream, sequence=sequence, recorded_at=recorded_at
            )
            digest = chain_hash(prev_hash=prev, record=record)
            heads[stream] = (sequence, digest)
            rows.append(
                (
                    i + 1, json.loads(event_json)["event_id"], stream, sequence,
                    template.event_type, 1, CLINIC, patient, session,
                    occurred.strftime(_STORED), recorded_at.strftime(_STORED), event_json,
                    prev, digest,
                )
            )  # fmt: skip
            leaf = leaf_hash(record)
            leaves.append((i, i + 1, leaf))
            state = state.append(leaf, visit=keep)
            i += 1
            if len(rows) >= 20_000:
                flush()
    flush()
    db.close()
    return Period(
        start=datetime.combine(first - timedelta(days=120), datetime.min.time(), CLINIC_ZONE),
        end=datetime.combine(DEFAULT_DAY + timedelta(days=10), datetime.min.time(), CLINIC_ZONE),
        zone=CLINIC_ZONE,
    )


def floor(path: Path, out: Path, *, period: Period, fhir: bool) -> float:
    """Seconds for the least any bundle must do per event, with nothing of kapaudit's in
    the way: read every row with the bare sqlite3 driver, write its ``events.jsonl`` line
    and hash the file; with ``fhir``, also write its FHIR AuditEvent with the exporter's
    own writer (already assembled from pre-encoded parts). The reports, the judging, the
    proofs and the database layer are left out, so no export can beat these rates."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT position, stream_id, sequence, event_id, event_type, recorded_at, prev_hash, "
        "hash, event_json FROM event_log ORDER BY position"
    )
    scope = ExportScope(
        export_id="floor", clinic_id=CLINIC, period=period, patient_id=None,
        created_at=datetime.now(UTC),
    )  # fmt: skip
    writer = FhirBundleWriter(bag=out, scope=scope) if fhir else None
    with (out / "events.jsonl").open("wb", buffering=1 << 20) as file:
        for index, stream, sequence, event_id, event_type, recorded, prev, hash_, text in rows:
            recorded_at = recorded.replace(" ", "T") + "Z"
            event = json.loads(text)
            entry = EntryLine(
                index=index - 1, stream_id=stream, sequence=sequence, event_id=event_id,
                event_type=event_type, occurred_at=event["occurred_at"], recorded_at=recorded_at,
                prev_hash=prev, hash=hash_,
                record=f'{{"event":{text},"recorded_at":"{recorded_at}","sequence":{sequence},'
                f'"stream_id":"{stream}"}}',
            )  # fmt: skip
            line = entry.to_json().encode()
            digest.update(line)
            file.write(line)
            if writer is not None:
                writer.add(entry, event)
    if writer is not None:
        writer.close()
        with (out / FHIR_FILE).open("rb") as written:
            while chunk := written.read(1 << 20):
                digest.update(chunk)
    db.close()
    return time.perf_counter() - started


class _NoDisclosures:
    async def disclosed(self, **_: Any) -> None:
        return None


async def export(url: str, out: Path, key: str, period: Period) -> dict[str, Any]:
    engine = create_engine(url)
    signer = Signer.parse(key)
    clock = SystemClock()
    store = SqlCheckpointStore(engine=engine)
    fhir, reports = document_writers()
    exports = Exports(
        ledger=SqlExportLedger(engine=engine),
        source=SqlExportSource(engine=engine),
        checkpoints=store,
        writer=CheckpointWriter(
            ledger=store, publisher=None, signer=signer, origin=ORIGIN, clock=clock
        ),
        signer=signer,
        disclosures=_NoDisclosures(),
        fhir=fhir,
        reports=reports,
        clock=clock,
        origin=ORIGIN,
    )
    requester: Requester = cli_requester()
    started = time.perf_counter()
    record = await exports.start(
        ExportRequest(
            clinic_id=CLINIC, period=period, patient_id=None, out=out, requester=requester
        )
    )
    result = await exports.run(record.export_id, requester=requester)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return {"seconds": elapsed, "counts": result.counts}


def _child(args: argparse.Namespace) -> None:
    url, out, key, start, end = args.child
    period = Period(
        start=datetime.fromisoformat(start), end=datetime.fromisoformat(end), zone=CLINIC_ZONE
    )

    def run() -> dict[str, Any]:
        return asyncio.run(export(url, Path(out), key, period))

    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        figures = profiler.runcall(run)
        profiler.dump_stats(args.profile)
    else:
        figures = run()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--zip", action="store_true", help="export to a .zip, not a folder")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the export into FILE")
    parser.add_argument("--keep", metavar="DIR", type=Path, help="leave the bundle in DIR")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
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
        period = fill(path, args.events)
        print(f"filled {args.events:,} events in {time.perf_counter() - began:.1f}s")
        key = generate_key(ORIGIN).signer
        out = Path(scratch) / ("bundle.zip" if args.zip else "bundle")
        command = [sys.executable, __file__, "--child", url, str(out), key]
        command += [period.start.isoformat(), period.end.isoformat()]
        if args.profile:
            command += ["--profile", args.profile]
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode:
            sys.exit(child.stderr)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        counts = figures["counts"]
        entries = counts["events"] + counts["access"]
        rate = entries / figures["seconds"]
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.is_dir() else 0
        size = size or out.stat().st_size
        print(
            f"exported {entries:,} events in {figures['seconds']:.1f}s: "
            f"{rate:,.0f} events/s (target >= 50,000), peak RSS {peak_mb:.0f} MB "
            f"(target < 300 MB), {'zip' if args.zip else 'bundle'} {size / 1e6:.0f} MB"
        )
        print("counts: " + ", ".join(f"{name} {value:,}" for name, value in sorted(counts.items())))
        for fhir in (False, True):
            scratch_floor = Path(scratch) / f"floor-{fhir}"
            scratch_floor.mkdir()
            floor_rate = counts["events"] / floor(path, scratch_floor, period=period, fhir=fhir)
            what = "events.jsonl and the FHIR bundle" if fhir else "events.jsonl"
            print(
                f"floor, bare sqlite3 read + {what} + SHA-256 only: {floor_rate:,.0f} "
                f"events/s (the export runs at {rate / floor_rate:.2f} of it)"
            )
        if args.keep:
            out.rename(args.keep / out.name)


if __name__ == "__main__":
    main()
