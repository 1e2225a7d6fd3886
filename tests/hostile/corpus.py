"""The standing corpus of hostile messages (issue 10 §2): what a broken or malicious clinic
system could put on the topic or in ``POST /v1/events``, each with what kapaudit must do.

Every message is built from the contract's own examples, so the corpus follows the
contract as it grows: a new event type brings its string fields into the escape cases.
Each message has a fresh event id; ``expected`` is the rejection reason, or ``None`` for
a message that is valid and must be recorded exactly as sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from events import MAX_EVENT_BYTES, MAX_NESTING_DEPTH, RejectionReason
from events.examples import EXAMPLES

__all__ = ["ESCAPES", "Hostile", "canary", "corpus", "escape_cases"]

_CLINIC = "clinic-hostile"
_SESSION = "s-hostile"
_KEY = _SESSION.encode()
"""One key for the canaries and the hostile messages: one partition, so that a message
that stalled the recorder would hold back every canary after it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hostile:
    name: str
    key: bytes | None
    value: bytes | None
    expected: RejectionReason | None
    path: str | None = None
    """The field the rejection must name, where it is one field."""
    over_http: bool = True
    """Whether the message can be sent as a request body too (a Kafka tombstone cannot)."""


ESCAPES: dict[str, str] = {
    "sql": "x'); DROP TABLE event_log; --",
    "html": '<script>alert("kap")</script><img src=x onerror=alert(1)>',
    "terminal": "\x1b[2J\x1b[31mred\x1b]8;;http://evil.example\x07link\x1b]8;;\x07\x1b[0m",
}
"""Text that would do harm if any layer (SQL, a page, a terminal) treated it as code."""

_CLINIC_TOPIC_TYPES = [t for t in EXAMPLES if t != "access.recorded"]
"""``access.recorded`` travels only on kapaudit's own topic (a clinic sending one is a
``wrong_topic`` case of its own)."""


def _document(event_type: str, **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(EXAMPLES[event_type]))
    document.update(event_id=str(uuid.uuid4()), clinic_id=_CLINIC, **overrides)
    if document.get("session_id"):
        document["session_id"] = _SESSION
    return document


def _bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _key(document: dict[str, Any]) -> bytes:
    return str(document.get("session_id") or document["clinic_id"]).encode()


def canary() -> tuple[bytes, bytes, str]:
    """A valid event to send around the hostile ones: (key, value, event id)."""
    document = _document("vitals.recorded")
    return _key(document), _bytes(document), str(document["event_id"])


def _with(raw: bytes, old: str, new: str) -> bytes:
    text = raw.decode("utf-8")
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


def _nested(depth: int) -> dict[str, Any]:
    document = _document("dose.administered")
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    document["payload"]["deep"] = value
    return document


def _padded(document: dict[str, Any], *, size: int) -> bytes:
    # Whitespace before the closing brace: the same event, only longer on the wire.
    raw = _bytes(document)
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


def corpus() -> list[Hostile]:
    """Every hostile message but the per-field escapes (see ``escape_cases``)."""
    dose = _document("dose.administered")
    raw_dose = _bytes(dose)
    number = f'"dose_mg": {json.dumps(dose["payload"]["dose_mg"])}'
    instant = f'"occurred_at": "{dose["occurred_at"]}"'
    original = _document("adverse_event.reported")
    conflicting = {**original, "payload": {**original["payload"], "severity": "severe"}}
    if conflicting == original:  # pragma: no cover - the example is mild by design
        raise AssertionError("the conflicting copy must differ")
    rejected = RejectionReason
    items = [
        Hostile(
            name="malformed JSON",
            key=_KEY,
            value=raw_dose[:40],
            expected=rejected.INVALID_JSON,
        ),
        Hostile(
            name="invalid UTF-8",
            key=_KEY,
            value=raw_dose[:20] + b"\xff\xfe" + raw_dose[20:],
            expected=rejected.INVALID_UTF8,
        ),
        Hostile(name="empty value", key=_KEY, value=b"", expected=rejected.INVALID_JSON),
        Hostile(name="JSON null", key=_KEY, value=b"null", expected=rejected.INVALID_JSON),
        Hostile(
            name="an array of events",
            key=_KEY,
            value=b"[" + raw_dose + b"]",
            expected=rejected.INVALID_JSON,
            over_http=False,  # a list is a batch over HTTP
        ),
        Hostile(
            name="duplicate keys",
            key=_KEY,
            value=raw_dose[:-1] + b', "clinic_id": "clinic-other"}',
            expected=rejected.INVALID_JSON,
        ),
        Hostile(
            name="null value (tombstone)",
            key=_KEY,
            value=None,
            expected=rejected.INVALID_JSON,
            over_http=False,
        ),
        Hostile(
            name="null key, valid value",
            key=None,
            value=_bytes(_document("session.started")),
            expected=None,
        ),
    ]
    for literal in ("NaN", "Infinity", "-Infinity", "1e999", "123e4567890123"):
        items.append(
            Hostile(
                name=f"dose of {literal}",
                key=_KEY,
                value=_with(
                    _bytes(_document("dose.administered")), number, f'"dose_mg": {literal}'
                ),
                expected=rejected.INVALID_JSON,
            )
        )
    items += [
        Hostile(
            name="dose of 1e-99999 (a number that rounds to zero)",
            key=_KEY,
            value=_with(_bytes(_document("dose.administered")), number, '"dose_mg": 1e-99999'),
            expected=rejected.SCHEMA_VIOLATION,
            path="payload.dose_mg",
        ),
        Hostile(
            name=f"nesting at the limit ({MAX_NESTING_DEPTH} levels) in a closed payload",
            key=_KEY,
            value=_bytes(_nested(MAX_NESTING_DEPTH - 2)),
            expected=rejected.SCHEMA_VIOLATION,
            path="payload.deep",
        ),
        Hostile(
            name=f"nesting past the limit ({MAX_NESTING_DEPTH + 1} levels)",
            key=_KEY,
            value=_bytes(_nested(MAX_NESTING_DEPTH)),
            expected=rejected.INVALID_JSON,
        ),
        Hostile(
            name="nesting 20,000 levels deep",
            key=_KEY,
            value=b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
            expected=rejected.INVALID_JSON,
        ),
        Hostile(
            name="exactly the size limit (256 KiB)",
            key=_KEY,
            value=_padded(_document("session.started"), size=MAX_EVENT_BYTES),
            expected=None,
        ),
        Hostile(
            name="one byte over the size limit",
            key=_KEY,
            value=_padded(_document("session.started"), size=MAX_EVENT_BYTES + 1),
            expected=rejected.TOO_LARGE,
            # Over HTTP the API publishes the event it parsed, without the padding: the
            # body's own limit (16 MiB) is what applies there.
            over_http=False,
        ),
        Hostile(
            name="over the dead-letter limit (950 KiB)",
            key=_KEY,
            value=_padded(_document("session.started"), size=950 * 1024),
            expected=rejected.TOO_LARGE,
            # Over HTTP the API publishes the event it parsed, without the padding: the
            # body's own limit (16 MiB) is what applies there.
            over_http=False,
        ),
        Hostile(
            name="a 2 KiB key",
            key=_KEY * 200,
            value=_bytes(_document("session.ended")),
            expected=None,
        ),
        Hostile(
            name="an unknown field",
            key=_KEY,
            value=_bytes({**_document("session.ended"), "priority": "high"}),
            expected=rejected.SCHEMA_VIOLATION,
            path="priority",
        ),
        Hostile(
            name="a wrong type",
            key=_KEY,
            value=_bytes(
                {
                    **dose,
                    "event_id": str(uuid.uuid4()),
                    "payload": {**dose["payload"], "dose_mg": "35"},
                }
            ),
            expected=rejected.SCHEMA_VIOLATION,
            path="payload.dose_mg",
        ),
        Hostile(
            name="a timestamp without an offset",
            key=_KEY,
            value=_with(_bytes(_document("dose.administered")), instant, instant[:35] + '"'),
            expected=rejected.SCHEMA_VIOLATION,
            path="occurred_at",
        ),
        Hostile(
            name="a timestamp in year 9999",
            key=_KEY,
            value=_with(
                _bytes(_document("dose.administered")),
                instant,
                '"occurred_at": "9999-12-31T23:59:59+00:00"',
            ),
            expected=rejected.SCHEMA_VIOLATION,
            path="occurred_at",
        ),
        Hostile(
            name="an event kapaudit alone may write (access.recorded)",
            key=_KEY,
            value=_bytes(_document("access.recorded")),
            expected=rejected.WRONG_TOPIC,
            over_http=False,  # the API refuses it up front (tests/http)
        ),
        Hostile(name="an original", key=_KEY, value=_bytes(original), expected=None),
        Hostile(
            name="the same event id with other content",
            key=_KEY,
            value=_bytes(conflicting),
            expected=rejected.CONFLICT,
            path="event_id",
        ),
    ]
    return items


def _string_paths(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _string_paths(item, (*path, name))
    elif isinstance(value, str):
        yield path


def _replaced(document: dict[str, Any], path: tuple[str, ...], text: str) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(document))
    target = changed
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = text
    return changed


def escape_cases() -> list[tuple[Hostile, str, str]]:
    """Every string field of every example, with each of ``ESCAPES``: (message, field path,
    the text put there). The event id and type stay, so that each case is one event of a
    known type; any other field either keeps the text exactly or is rejected naming it."""
    cases: list[tuple[Hostile, str, str]] = []
    for event_type in _CLINIC_TOPIC_TYPES:
        document = _document(event_type)
        for path in _string_paths(document):
            if path[0] in {"event_id", "event_type"}:
                continue
            for label, text in ESCAPES.items():
                changed = _replaced(document, path, text)
                changed["event_id"] = str(uuid.uuid4())
                for other in _string_paths(changed):
                    if other[-1].endswith("session_id") and other != path:
                        # Sessions of its own: a session named under another clinic or
                        # patient is a conflict, which is not what this case is about.
                        changed = _replaced(changed, other, f"s-escape-{len(cases)}")
                dotted = ".".join(path)
                cases.append(
                    (
                        Hostile(
                            name=f"{event_type} {dotted} = {label}",
                            key=_KEY,
                            value=_bytes(changed),
                            expected=None,
                        ),
                        dotted,
                        text,
                    )
                )
    return cases
