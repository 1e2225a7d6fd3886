"""``Exports``: the application service behind ``kapaudit export`` and ``POST /v1/exports``.

``start`` checks a request and files it (``queued``); ``run`` makes the bundle, keeping
the ``exports`` row's progress current; ``status`` reads that row back. An HTTP handler
calls ``start``, answers with the id, and runs ``run`` in the background.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from projections import ProfileHistory
from services.chain import format_recorded_at
from services.chain.checkpoint import open_checkpoint
from services.chain.note import NoteError, Signer
from services.checkpointing import CheckpointWriter
from services.clock import Clock
from services.exporting.bag import BundleExistsError, WorkDirectory, seal_bag
from services.exporting.documents import ExportScope
from services.exporting.payload import write_payload
from services.exporting.ports import (
    CheckpointSource,
    Disclosures,
    ExportLedger,
    ExportRecord,
    ExportSource,
    ExportStatus,
    FhirDocumentFactory,
    ReportDocumentsFactory,
    Requester,
)
from services.offline.bundle_format import FORMAT
from services.period import Period

__all__ = [
    "ExportError",
    "ExportRequest",
    "ExportResult",
    "Exports",
    "NoSigningKeyError",
    "UnknownClinicError",
    "UnknownExportError",
    "new_export_id",
]

_PROGRESS_EVERY = 2.0
"""Seconds between progress updates of the ``exports`` row."""


def new_export_id() -> str:
    """A fresh export id: random, so that one cannot be guessed from another."""
    return f"exp-{uuid.uuid4().hex}"


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says why."""


class UnknownClinicError(ExportError):
    pass


class NoSigningKeyError(ExportError):
    pass


class UnknownExportError(LookupError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRequest:
    clinic_id: str
    period: Period
    patient_id: str | None
    out: Path
    """A directory to create, or a ``.zip`` file; neither may exist."""
    requester: Requester
    previous_sizes: tuple[int, ...] = ()
    """Tree sizes of earlier checkpoints the requester holds; ``consistency.jsonl``
    proves this bundle's checkpoint extends each."""
    export_id: str | None = None
    """The id to file it under (``new_export_id()``), for a caller that names the bundle
    after it; None: a fresh one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    export_id: str
    path: Path
    checkpoint_size: int
    counts: dict[str, int]


class Exports:
    """Starts, runs and reports on export bundles."""

    def __init__(
        self,
        *,
        ledger: ExportLedger,
        source: ExportSource,
        checkpoints: CheckpointSource,
        writer: CheckpointWriter | None,
        signer: Signer | None,
        disclosures: Disclosures,
        fhir: FhirDocumentFactory,
        reports: ReportDocumentsFactory,
        clock: Clock,
        origin: str,
        profiles: Callable[[str], Awaitable[ProfileHistory]] | None = None,
    ) -> None:
        self._ledger = ledger
        self._source = source
        self._checkpoints = checkpoints
        self._writer = writer
        self._signer = signer
        self._disclosures = disclosures
        self._fhir = fhir
        self._reports = reports
        self._clock = clock
        self._origin = origin
        self._profiles = profiles
        """A clinic's profile versions; without, the reports use the shipped defaults."""

    async def start(self, request: ExportRequest) -> ExportRecord:
        """Check the request and file it as ``queued``; raises ``ExportError`` (or
        ``BundleExistsError``) for a request that cannot succeed."""
        self._require_signer()
        out = request.out.absolute()
        if out.exists():
            raise BundleExistsError(f"{out} exists already; an export never replaces anything")
        if not out.parent.is_dir():
            raise ExportError(f"{out.parent} is not a directory")
        if not await self._source.clinic_known(request.clinic_id):
            raise UnknownClinicError(f"the log holds nothing of clinic {request.clinic_id!r}")
        size = (await self._checkpoints.tree_state()).size
        for previous in request.previous_sizes:
            if not 0 < previous <= size:
                raise ExportError(
                    f"previous size {previous} is not a tree size of this log (1 to {size})"
                )
        now = self._clock.now()
        record = ExportRecord(
            export_id=request.export_id or new_export_id(),
            clinic_id=request.clinic_id,
            patient_id=request.patient_id,
            period_start=request.period.start,
            period_end=request.period.end,
            time_zone=request.period.zone.key,
            requested_by=request.requester.name,
            requester_role=request.requester.role.value,
            status=ExportStatus.QUEUED,
            entries_written=0,
            entries_expected=None,
            checkpoint_size=None,
            previous_sizes=tuple(sorted(set(request.previous_sizes))),
            bundle_path=out,
            error=None,
            created_at=now,
            started_at=None,
            finished_at=None,
            updated_at=now,
        )
        await self._ledger.add(record)
        return record

    async def status(self, export_id: str) -> ExportRecord | None:
        return await self._ledger.get(export_id)

    async def run(
        self,
        export_id: str,
        *,
        requester: Requester,
        progress: Callable[[int, int], None] | None = None,
    ) -> ExportResult:
        """Make the bundle of a ``queued`` export; ``progress(done, expected)`` as it goes.

        ``requester`` is who the access log names (the token's name is in the row, its
        channel is not). On failure the row says ``failed`` with the error, the work
        directory is removed, and the error is raised.
        """
        record = await self._ledger.get(export_id)
        if record is None:
            raise UnknownExportError(export_id)
        if record.status is not ExportStatus.QUEUED:
            raise ExportError(f"export {export_id} is {record.status.value}, not queued")
        work = WorkDirectory(out=record.bundle_path, export_id=export_id)
        written = 0
        try:
            return await self._run(record, requester=requester, work=work, progress=progress)
        except BaseException as failure:
            work.remove()
            current = await self._ledger.get(export_id)
            written = current.entries_written if current else written
            await self._ledger.finished(
                export_id,
                status=ExportStatus.FAILED,
                written=written,
                error=_failure_text(failure),
                at=self._clock.now(),
            )
            raise

    async def abandon(self, export_id: str, *, reason: str) -> None:
        """Mark a ``queued`` export that will never run as failed, saying why."""
        record = await self._ledger.get(export_id)
        if record is not None and record.status is ExportStatus.QUEUED:
            await self._ledger.finished(
                export_id, status=ExportStatus.FAILED, written=0, error=reason, at=self._clock.now()
            )

    async def recent(self, *, requested_by: str | None, limit: int) -> list[ExportRecord]:
        """The newest exports, newest first (only ``requested_by``'s unless None)."""
        return await self._ledger.recent(requested_by=requested_by, limit=limit)

    async def _run(
        self,
        record: ExportRecord,
        *,
        requester: Requester,
        work: WorkDirectory,
        progress: Callable[[int, int], None] | None,
    ) -> ExportResult:
        signer = self._require_signer()
        size, root_hash, note = await self._pin(signer)
        selection, counts = await self._source.select(
            clinic_id=record.clinic_id,
            start=record.period_start,
            end=record.period_end,
            patient_id=record.patient_id,
            size=size,
        )
        # Pass one writes every entry, pass two the clinical entries again, as streams.
        expected = 2 * counts.clinical_entries + counts.access_entries
        created_at = self._clock.now()
        await self._ledger.started(
            record.export_id, checkpoint_size=size, expected=expected, at=created_at
        )
        query = {
            "export_id": record.export_id,
            "clinic_id": record.clinic_id,
            "from": _instant(record.period_start),
            "to": _instant(record.period_end),
            "patient_id": record.patient_id or "",
            "checkpoint_size": str(size),
        }
        if counts.patients:
            # Before a byte is written: an export whose disclosures cannot be recorded
            # is not made.
            await self._disclosures.disclosed(
                requester=requester,
                clinic_id=record.clinic_id,
                patient_ids=counts.patients,
                resource=f"export {record.export_id}",
                query=query,
            )
        earlier = set(await self._ledger.checkpoint_sizes(record.clinic_id, below=size))
        consistency_from = [
            (m, (await self._source.tree(m)).root())
            for m in sorted(earlier | set(record.previous_sizes))
            if 0 < m <= size
        ]
        scope = ExportScope(
            export_id=record.export_id,
            clinic_id=record.clinic_id,
            period=Period(
                start=record.period_start,
                end=record.period_end,
                zone=ZoneInfo(record.time_zone),
            ),
            patient_id=record.patient_id,
            created_at=created_at,
            profiles=(
                ProfileHistory()
                if self._profiles is None
                else await self._profiles(record.clinic_id)
            ),
        )
        tick = self._ticker(record.export_id, expected, progress)
        work.create()
        payload = await write_payload(
            source=self._source,
            selection=selection,
            root=work.bag,
            scratch=work.scratch,
            scope=scope,
            checkpoint_note=note,
            consistency_from=consistency_from,
            fhir=self._fhir,
            reports=self._reports,
            progress=tick,
        )
        manifest_counts = {
            **payload.document_counts,
            "events": payload.events,
            "access": payload.access,
            "streams": counts.clinical_streams,
            "patients": len(counts.patients),
            "sessions": counts.sessions,
        }
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "export_id": record.export_id,
            "origin": self._origin,
            "clinic_id": record.clinic_id,
            "patient_id": record.patient_id,
            "from": _instant(record.period_start),
            "to": _instant(record.period_end),
            "created_at": format_recorded_at(created_at),
            "checkpoint": {
                "size": size,
                "root": root_hash.hex(),
                "key_name": signer.name,
                "key_id": f"{signer.key_id:08x}",
            },
            "counts": manifest_counts,
        }
        path = seal_bag(
            work=work,
            bag_info={
                "Source-Organization": record.clinic_id,
                "External-Identifier": record.export_id,
                "External-Description": f"{FORMAT} bundle of clinic {record.clinic_id}, "
                f"{_instant(record.period_start)} to {_instant(record.period_end)}",
                "Bagging-Date": created_at.astimezone(UTC).date().isoformat(),
                "Bag-Software-Agent": "kapaudit",
            },
            manifest=manifest,
            signer=signer,
        )
        await self._ledger.finished(
            record.export_id,
            status=ExportStatus.DONE,
            written=expected,
            error=None,
            at=self._clock.now(),
        )
        return ExportResult(
            export_id=record.export_id, path=path, checkpoint_size=size, counts=manifest_counts
        )

    def _require_signer(self) -> Signer:
        if self._signer is None:
            raise NoSigningKeyError(
                "no signing key: an export's checkpoint and manifest are signed with the log's key"
            )
        return self._signer

    async def _pin(self, signer: Signer) -> tuple[int, bytes, str]:
        """The checkpoint the export is made against: the newest, if it covers the whole
        log and is signed by this key, else a fresh one."""
        latest = await self._checkpoints.latest()
        size = (await self._checkpoints.tree_state()).size
        if latest is not None and latest.size >= size:
            try:
                opened = open_checkpoint(
                    latest.note_text, verifiers=[signer.verifier], origin=self._origin
                )
            except NoteError:
                pass  # signed with an older key: the bundle's key must sign it too
            else:
                checkpoint = opened.checkpoint
                return checkpoint.size, checkpoint.root_hash, latest.note_text
        if self._writer is None:
            raise NoSigningKeyError("no checkpoint writer: a fresh checkpoint cannot be signed")
        written = await self._writer.write()
        return written.size, written.root_hash, written.note

    def _ticker(
        self, export_id: str, expected: int, progress: Callable[[int, int], None] | None
    ) -> Callable[[int], Awaitable[None]]:
        last = time.monotonic()

        async def tick(done: int) -> None:
            nonlocal last
            if progress is not None:
                progress(done, expected)
            # The row is for another process (HTTP) to poll: now and then is enough.
            now = time.monotonic()
            if now - last >= _PROGRESS_EVERY:
                last = now
                await self._ledger.progressed(export_id, written=done, at=self._clock.now())

        return tick


def _failure_text(failure: BaseException) -> str:
    if isinstance(failure, asyncio.CancelledError):
        # Cancelled carries no message; the row is all a poller will ever see of it.
        return "cancelled: the process making it stopped before it was finished"
    return f"{type(failure).__name__}: {failure}"[:2000]


def _instant(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    if utc.microsecond:
        return format_recorded_at(utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
