"""The per-stream SHA-256 hash chain.

Each log row hashes its predecessor's hash together with a canonical JSON *record*
that holds the event and the server's own facts about it (stream, sequence,
recording time). Covering the server facts matters: an attacker who back-dates
``recorded_at`` would otherwise defeat the contemporaneous-documentation rule
without breaking the chain. ``docs/LOG-FORMAT.md`` specifies the bytes so that a
regulator can re-compute every hash with nothing but a SHA-256 tool.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["GENESIS_HASH", "ChainLink", "chain_hash", "format_recorded_at", "record_bytes"]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record of every stream."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainLink:
    """Where a stream's chain ends: its last sequence number and hash."""

    sequence: int
    hash: str


def format_recorded_at(instant: datetime) -> str:
    """Render a recording instant the one way the chain hashes it (UTC, microseconds, ``Z``)."""
    if instant.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_bytes(*, event_json: str, stream_id: str, sequence: int, recorded_at: datetime) -> bytes:
    """The canonical JSON of one log record, the bytes that the chain hashes.

    ``event_json`` is already canonical, and the record's keys are written in
    sorted order, so plain concatenation yields the same bytes as re-encoding the
    whole record with sorted keys, at a fraction of the cost on the recorder's hot
    path. Stored event JSON that is not byte-for-byte what was hashed fails.
    """
    return (
        '{"event":'
        + event_json
        + ',"recorded_at":"'
        + format_recorded_at(recorded_at)
        + '","sequence":'
        + str(int(sequence))
        + ',"stream_id":'
        + json.dumps(stream_id, ensure_ascii=False)
        + "}"
    ).encode("utf-8")


def chain_hash(*, prev_hash: str, record: bytes) -> str:
    """``sha256(prev_hash as ASCII hex || record)`` as lowercase hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + record).hexdigest()
