"""Verify the whole log, stream by stream, without holding it all in memory, the session
owners against it, and the log against its newest signed checkpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from services.chain import (
    BrokenLink,
    LogRow,
    OwnershipCheck,
    SessionOwner,
    record_bytes,
    verify_rows,
)
from services.chain.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from services.chain.merkle import leaf_hash
from services.chain.note import NoteError, Verifier
from services.chain.tree_check import TreeCheck, TreeFinding, TreeProblem
from services.metrics import Metrics
from services.recording.ports import LogReader

__all__ = [
    "CheckedCheckpoint",
    "VerificationReport",
    "count_verification",
    "verify_log",
    "verify_store",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedCheckpoint:
    """The checkpoint the log was checked against."""

    size: int
    root_hash: str
    signed_by: tuple[str, ...]
    """``<name>+<key id>`` of each trusted key whose signature verified; empty when no
    key was trusted to check."""


@dataclass(slots=True, kw_only=True)
class VerificationReport:
    """What ``kapaudit verify`` found."""

    events: int = 0
    streams: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    checkpoint: CheckedCheckpoint | None = None
    tree: list[TreeFinding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken and not self.tree


def count_verification(report: VerificationReport, metrics: Metrics, *, at: float) -> None:
    """Tell ``metrics`` what a verification finished at ``at`` (Unix time) found."""
    metrics.verification(
        intact=report.intact,
        events=report.events,
        problems=len(report.broken) + len(report.tree),
        at=at,
    )


async def verify_store(
    store: LogReader,
    *,
    verifiers: Sequence[Verifier] = (),
    origin: str | None = None,
    kept_elsewhere: Sequence[tuple[str, str]] = (),
    progress: Callable[[int], None] | None = None,
) -> VerificationReport:
    """Check the log, ``session_owners`` and the Merkle tree as of one moment.

    The newest checkpoint must be signed by one of ``verifiers`` for ``origin``; with no
    verifiers, its text is taken as stored (``signed_by`` is then empty).
    ``kept_elsewhere`` holds ``(name, note)`` checkpoints copied out of the database
    (an export's, the checkpoint topic's); the log is checked against each of them too.
    """
    async with store.snapshot() as snapshot:
        report = await verify_log(
            snapshot.rows_by_stream, owners=snapshot.owners, progress=progress
        )
        checkpoint = None
        if snapshot.checkpoint_note is not None:
            checkpoint = _open(
                snapshot.checkpoint_note, verifiers=verifiers, origin=origin, report=report
            )
        others = [
            (name, opened)
            for name, note in kept_elsewhere
            if (opened := _open_copy(name, note, verifiers=verifiers, origin=origin, report=report))
            is not None
        ]
        check = TreeCheck(checkpoint=checkpoint, others=others)
        async for row in snapshot.rows_in_log_order():
            check.see(
                leaf_hash(
                    record_bytes(
                        event_json=row.event_json,
                        stream_id=row.stream_id,
                        sequence=row.sequence,
                        recorded_at=row.recorded_at,
                    )
                )
            )
        if snapshot.tree is None:
            report.tree.append(
                TreeFinding(
                    problem=TreeProblem.TREE_MISMATCH,
                    detail="the stored Merkle tree is missing nodes",
                )
            )
        report.tree.extend(check.findings(stored=snapshot.tree))
        return report


def _open(
    note: str, *, verifiers: Sequence[Verifier], origin: str | None, report: VerificationReport
) -> Checkpoint | None:
    try:
        checkpoint, signed_by = _read(note, verifiers=verifiers, origin=origin)
    except NoteError as error:
        report.tree.append(
            TreeFinding(
                problem=TreeProblem.UNTRUSTED,
                detail=f"the newest checkpoint does not verify: {error}",
            )
        )
        return None
    report.checkpoint = CheckedCheckpoint(
        size=checkpoint.size, root_hash=checkpoint.root_hash.hex(), signed_by=signed_by
    )
    return checkpoint


def _open_copy(
    name: str,
    note: str,
    *,
    verifiers: Sequence[Verifier],
    origin: str | None,
    report: VerificationReport,
) -> Checkpoint | None:
    try:
        return _read(note, verifiers=verifiers, origin=origin)[0]
    except NoteError as error:
        report.tree.append(
            TreeFinding(problem=TreeProblem.UNTRUSTED, detail=f"{name} does not verify: {error}")
        )
        return None


def _read(
    note: str, *, verifiers: Sequence[Verifier], origin: str | None
) -> tuple[Checkpoint, tuple[str, ...]]:
    if verifiers:
        opened = open_checkpoint(note, verifiers=verifiers, origin=origin or "")
        signed_by = tuple(f"{v.name}+{v.key_id:08x}" for v in opened.verified_by)
        return opened.checkpoint, signed_by
    # The note text ends at the blank line before the signatures.
    checkpoint = Checkpoint.parse(note.partition("\n\n")[0] + "\n")
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint of {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, ()


async def verify_log(
    rows: AsyncIterator[LogRow],
    *,
    owners: Mapping[str, SessionOwner] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerificationReport:
    """Check rows that arrive ordered by ``(stream_id, sequence)``; with ``owners``, also
    that each session is owned by the clinic and patient of the first event naming it."""
    report = VerificationReport()
    stream: list[LogRow] = []
    ownership = OwnershipCheck()

    def close_stream() -> None:
        if stream:
            report.streams += 1
            report.broken.extend(verify_rows(stream))
            stream.clear()

    async for row in rows:
        if stream and row.stream_id != stream[0].stream_id:
            close_stream()
            # Rows arrive in buffered batches, so the loop may not suspend for thousands
            # of rows; yielding between streams keeps the HTTP server answering while a
            # large log is hashed.
            await asyncio.sleep(0)
        stream.append(row)
        ownership.see(row)
        report.events += 1
        if progress is not None:
            progress(report.events)
    close_stream()
    if owners is not None:
        report.broken.extend(ownership.problems(owners))
    return report
