"""One line of ``events.jsonl`` or ``access.jsonl``, checked on its own.

The line repeats facts its ``record`` holds (stream, sequence, event id, times); a
regulator reads the line, but only the record is hashed, so the two must agree, and the
record must hash to the line's ``hash``. Links between lines are ``chain_walk``'s job.
This is the verifier's hot path: one JSON parse of the line, one of the record, two
SHA-256, and no per-line objects beyond the result.
"""

from __future__ import annotations

import hashlib
import json
import json.scanner
from dataclasses import dataclass
from typing import Any, Final

from services.offline.findings import NO_EVENT, Code

__all__ = ["CheckedEntry", "LineProblem", "check_line"]

_LINE_KEYS: Final = frozenset(
    {
        "event_id",
        "event_type",
        "hash",
        "index",
        "occurred_at",
        "prev_hash",
        "record",
        "recorded_at",
        "sequence",
        "stream_id",
    }
)
_RECORD_KEYS: Final = frozenset({"event", "recorded_at", "sequence", "stream_id"})
_sha256 = hashlib.sha256
# The C scanner without json.loads' encoding sniffing and whitespace regexes: a third
# of the time of a line's check went there.
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _parse(text: str) -> Any:
    """``text`` as one JSON value with nothing after it; ``ValueError`` otherwise."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError(f"extra data at character {end}")
    return value


@dataclass(slots=True, kw_only=True)
class CheckedEntry:
    """What the rest of the verifier needs of a line whose fields could be read."""

    file: str
    index: int
    stream_id: str
    sequence: int
    event_id: str
    prev_hash: str
    hash: str
    leaf_hash: bytes
    """``SHA-256(0x00 || record)``: its leaf in the Merkle tree."""
    patient_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineProblem:
    code: Code
    message: str


def check_line(line: bytes, *, file: str) -> tuple[CheckedEntry | None, str, list[LineProblem]]:
    """The entry (``None`` if its fields cannot be read), its event id, and its problems."""
    try:
        value = _parse(line.decode("utf-8"))
    except ValueError as error:
        return None, NO_EVENT, [_malformed(f"not a JSON line ({error})")]
    if type(value) is not dict or value.keys() != _LINE_KEYS:
        return None, _event_id_of(value), [_malformed(_key_problem(value, _LINE_KEYS, "line"))]
    event_id = value["event_id"]
    index = value["index"]
    sequence = value["sequence"]
    stream_id = value["stream_id"]
    prev_hash = value["prev_hash"]
    claimed = value["hash"]
    record = value["record"]
    if not (
        type(index) is int
        and index >= 0
        and type(sequence) is int
        and sequence >= 1
        and type(event_id) is str
        and type(stream_id) is str
        and type(record) is str
        and type(prev_hash) is str
        and type(claimed) is str
        and len(prev_hash) == 64
        and prev_hash.isascii()
    ):
        return None, _printable_id(event_id), [_malformed(_type_problem(value))]
    problems: list[LineProblem] = []
    raw = record.encode("utf-8", errors="surrogatepass")
    if _sha256(prev_hash.encode("ascii") + raw).hexdigest() != claimed:
        problems.append(
            LineProblem(
                code=Code.EVENT_CHANGED,
                message=f"its record does not hash to its hash ({stream_id} #{sequence}): "
                "the entry was changed after it was recorded",
            )
        )
    patient_id = _compare_record(value, record, problems)
    entry = CheckedEntry(
        file=file,
        index=index,
        stream_id=stream_id,
        sequence=sequence,
        event_id=event_id,
        prev_hash=prev_hash,
        hash=claimed,
        leaf_hash=_sha256(b"\x00" + raw).digest(),
        patient_id=patient_id,
    )
    return entry, event_id, problems


def _compare_record(line: dict[str, Any], record: str, problems: list[LineProblem]) -> str | None:
    """Check the line's copies of the record's fields; return the event's patient id."""
    try:
        parsed = _parse(record)
    except ValueError:
        problems.append(LineProblem(code=Code.EVENT_CHANGED, message="its record is not JSON"))
        return None
    if (
        type(parsed) is not dict
        or parsed.keys() != _RECORD_KEYS
        or type(parsed["event"]) is not dict
    ):
        message = _key_problem(parsed, _RECORD_KEYS, "record")
        problems.append(LineProblem(code=Code.EVENT_CHANGED, message=message))
        return None
    event = parsed["event"]
    pairs = (
        ("stream_id", line["stream_id"], parsed["stream_id"]),
        ("sequence", line["sequence"], parsed["sequence"]),
        ("recorded_at", line["recorded_at"], parsed["recorded_at"]),
        ("event_id", line["event_id"], event.get("event_id")),
        ("event_type", line["event_type"], event.get("event_type")),
        ("occurred_at", line["occurred_at"], event.get("occurred_at")),
    )
    for key, said, held in pairs:
        if said != held or type(said) is not type(held):
            problems.append(
                LineProblem(
                    code=Code.EVENT_CHANGED,
                    message=f"the line's {key} {said!r} is not its record's {held!r}",
                )
            )
    patient = event.get("patient_id")
    return patient if type(patient) is str else None


def _malformed(message: str) -> LineProblem:
    return LineProblem(code=Code.MALFORMED, message=message)


def _event_id_of(value: object) -> str:
    return _printable_id(value.get("event_id")) if isinstance(value, dict) else NO_EVENT


def _printable_id(value: object) -> str:
    return value if isinstance(value, str) and value and value.isprintable() else NO_EVENT


def _key_problem(value: object, expected: frozenset[str], what: str) -> str:
    if not isinstance(value, dict):
        return f"the {what} is not a JSON object"
    missing = sorted(expected - value.keys())
    extra = sorted(value.keys() - expected)
    parts = [f"lacks {', '.join(missing)}"] if missing else []
    parts += [f"has extra {', '.join(extra)}"] if extra else []
    return f"the {what} " + (" and ".join(parts) or "has an event that is not an object")


def _type_problem(value: dict[str, Any]) -> str:
    return (
        "index and sequence must be integers (sequence from 1), prev_hash 64 hex digits, "
        "the others strings"
    )
