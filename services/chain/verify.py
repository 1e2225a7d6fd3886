"""Re-compute every chain and name each broken link; pure, so it runs on any row source."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import groupby

from services.chain.links import GENESIS_HASH, chain_hash, record_bytes

__all__ = ["BrokenLink", "LogRow", "Problem", "verify_rows"]


class Problem(StrEnum):
    """What is wrong with a link of the chain."""

    MODIFIED = "modified"
    MISSING = "missing"
    REORDERED = "reordered"
    OWNERSHIP = "ownership"
    """``session_owners`` disagrees with the first event naming the session."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogRow:
    """One row of the log as stored, every column that the chain or a reader relies on."""

    position: int
    event_id: str
    stream_id: str
    sequence: int
    event_type: str
    clinic_id: str
    patient_id: str
    session_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    event_json: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokenLink:
    """One thing wrong with one stream, located precisely enough to find the row."""

    stream_id: str
    sequence: int
    position: int | None
    event_id: str | None
    problem: Problem
    detail: str


def verify_rows(rows: Iterable[LogRow]) -> list[BrokenLink]:
    """Check rows ordered by ``(stream_id, sequence)``; return every broken link found."""
    broken: list[BrokenLink] = []
    for _, stream_rows in groupby(rows, key=lambda row: row.stream_id):
        broken.extend(_verify_stream(list(stream_rows)))
    return broken


def _verify_stream(rows: list[LogRow]) -> Iterator[BrokenLink]:
    by_hash = {row.hash: row for row in rows}
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    last_position = 0
    for row in rows:
        yield from _content_problems(row)
        gap = row.sequence > expected_sequence
        if gap:
            yield _link(
                row,
                Problem.MISSING,
                f"sequence {expected_sequence}..{row.sequence - 1} absent before this record",
            )
        if row.prev_hash != expected_prev:
            linked = by_hash.get(row.prev_hash)
            if linked is not None and linked is not row:
                yield _link(
                    row,
                    Problem.REORDERED,
                    f"prev_hash points at sequence {linked.sequence}, not at the record before it",
                )
            elif not gap:
                yield _link(
                    row,
                    Problem.MODIFIED,
                    "prev_hash does not match the hash of the record before it",
                )
        if row.position < last_position:
            yield _link(row, Problem.REORDERED, "position is lower than the record before it")
        expected_prev = row.hash
        expected_sequence = row.sequence + 1
        last_position = max(last_position, row.position)


def _content_problems(row: LogRow) -> Iterator[BrokenLink]:
    record = record_bytes(
        event_json=row.event_json,
        stream_id=row.stream_id,
        sequence=row.sequence,
        recorded_at=row.recorded_at,
    )
    if chain_hash(prev_hash=row.prev_hash, record=record) != row.hash:
        yield _link(row, Problem.MODIFIED, "hash does not match the record's content")
    try:
        event = json.loads(row.event_json)
    except ValueError:
        yield _link(row, Problem.MODIFIED, "event_json is not JSON")
        return
    mismatched = [
        column
        for column, stored in (
            ("event_id", row.event_id),
            ("event_type", row.event_type),
            ("clinic_id", row.clinic_id),
            ("patient_id", row.patient_id),
            ("session_id", row.session_id),
        )
        if event.get(column) != stored
    ]
    if _instant(event.get("occurred_at")) != row.occurred_at.astimezone(UTC):
        mismatched.append("occurred_at")
    if mismatched:
        yield _link(
            row,
            Problem.MODIFIED,
            f"column(s) {', '.join(mismatched)} differ from the hashed event",
        )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


def _link(row: LogRow, problem: Problem, detail: str) -> BrokenLink:
    return BrokenLink(
        stream_id=row.stream_id,
        sequence=row.sequence,
        position=row.position,
        event_id=row.event_id,
        problem=problem,
        detail=detail,
    )
