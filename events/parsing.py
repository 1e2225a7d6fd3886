"""`parse_event`: the single entry point for untrusted event bytes."""

import json
from collections.abc import Mapping
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from events.canonical import canonical_json
from events.catalogue import SESSION_EVENT_ADAPTER, SessionEvent
from events.envelope import SERVER_FIELDS
from events.errors import ROOT_PATH, EventRejected, FieldError, RejectionReason
from events.primitives import READ_BACK
from events.rules import RULE_FIELDS_CONTEXT_KEY
from events.strict_json import json_kind, load_strict_json
from events.upcasting import upcast

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_NESTING_DEPTH",
    "parse_event",
    "parse_event_with_canonical",
    "read_stored_event",
]

MAX_EVENT_BYTES: Final = 256 * 1024
"""The largest event accepted, in bytes of UTF-8 JSON: both as published and in the
canonical form that the log stores (which may be longer: `1E15` becomes
`1000000000000000.0`)."""

MAX_NESTING_DEPTH: Final = 32
"""The deepest nesting of JSON objects and arrays accepted (an event itself needs 4)."""


def parse_event(raw: bytes) -> SessionEvent:
    """Parse, upcast and strictly validate one published event.

    Checks run in this order, and the first failing stage decides the rejection reason:
    size, UTF-8, JSON object, event type, schema version, the schema itself, then the
    size of the canonical form the log would store.
    Raises `EventRejected`; never any other exception for bad input.
    """
    return parse_event_with_canonical(raw)[0]


def parse_event_with_canonical(raw: bytes) -> tuple[SessionEvent, bytes]:
    """`parse_event`, also returning the event's canonical JSON (what the log stores)."""
    if len(raw) > MAX_EVENT_BYTES:
        raise _rejected(
            reason=RejectionReason.TOO_LARGE,
            message=f"Event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES} bytes (256 KiB)",
        )
    event = _validated(raw)
    canonical = canonical_json(event)
    if len(canonical) > MAX_EVENT_BYTES:
        # Checked here, once, so that whatever the log accepts it can always read back.
        raise _rejected(
            reason=RejectionReason.TOO_LARGE,
            message=f"Event is {len(canonical)} bytes in canonical form (numbers written out "
            f"in full); the limit is {MAX_EVENT_BYTES} bytes (256 KiB)",
        )
    return event, canonical


def read_stored_event(stored: str | bytes) -> SessionEvent:
    """An event the log (or a read model) stored, in canonical JSON, as a model again.

    Ingest limits (size, nesting) are not applied again: the event passed them when it
    was recorded, and a stored event must stay readable. The schema still is, so an
    event stored under an older, looser contract raises `EventRejected`; its readers
    report and skip it rather than stall.
    """
    try:
        # Stored text is canonical JSON that passed the strict reading on the way in (no
        # duplicate keys, no NaN, no lone surrogates), so the schema alone decides: one pass
        # in pydantic's parser, a quarter of the full path's time, with the same result.
        return SESSION_EVENT_ADAPTER.validate_json(stored, strict=True, context=READ_BACK)
    except ValidationError:
        # An older schema version (to upcast) or an invalid event: the full path migrates
        # the one and gives the other its rejection reason and field errors.
        pass
    raw = stored.encode("utf-8") if isinstance(stored, str) else stored
    return _validated(raw, context=READ_BACK)


def _validated(raw: bytes, *, context: Mapping[str, Any] | None = None) -> SessionEvent:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _rejected(
            reason=RejectionReason.INVALID_UTF8,
            message=f"Not valid UTF-8: {exc.reason} at byte {exc.start}",
        ) from None
    document, encoded = _load_object(text)
    migrated = upcast(document)
    if migrated != document:
        encoded = json.dumps(migrated, ensure_ascii=False, allow_nan=False).encode("utf-8")
    try:
        # Strict JSON mode: strings are accepted for UUIDs and timestamps (JSON has no such
        # types) but never for booleans or numbers, so "true" and "56" are rejected.
        return SESSION_EVENT_ADAPTER.validate_json(encoded, strict=True, context=context)
    except ValidationError as exc:
        raise EventRejected(
            reason=_reason_for(exc),
            errors=_field_errors(exc, event_type=migrated["event_type"]),
        ) from None


def _load_object(text: str) -> tuple[dict[str, Any], bytes]:
    try:
        value = load_strict_json(text)
        if not isinstance(value, dict):
            raise _rejected(
                reason=RejectionReason.INVALID_JSON,
                message=f"Expected a JSON object, got {json_kind(value)}",
            )
        # Later stages (upcasting, validation, canonical encoding) recurse; bounding the depth
        # here keeps a hostile document from exhausting the stack in any of them.
        # Nesting needs an opening bracket per level, so a text with few of them (every
        # real event: about three) cannot be too deep and is spared the walk.
        brackets = text.count("{") + text.count("[")
        if brackets > MAX_NESTING_DEPTH and _nesting_exceeds(value, limit=MAX_NESTING_DEPTH):
            raise _too_deep()
        # A lone surrogate escape ("\ud800") is valid JSON syntax but not Unicode text: it
        # could be neither stored as UTF-8 nor hashed, so it is rejected here. Only an
        # escape can make one (the text came from strict UTF-8), so text without a "\u"
        # is handed on as it is, sparing most events a second encoding.
        if "\\u" in text:
            encoded = json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        else:
            encoded = text.encode("utf-8")
    except RecursionError:
        raise _too_deep() from None
    except UnicodeEncodeError:
        raise _rejected(
            reason=RejectionReason.INVALID_JSON,
            message="Invalid JSON: a string contains a lone surrogate escape",
        ) from None
    except ValueError as exc:
        raise _rejected(
            reason=RejectionReason.INVALID_JSON, message=f"Invalid JSON: {exc}"
        ) from None
    return value, encoded


def _nesting_exceeds(value: Any, *, limit: int) -> bool:
    # Iterative on purpose: a recursive walk would fail on exactly the input it guards against.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            pending.extend((child, depth + 1) for child in item)
    return False


def _too_deep() -> EventRejected:
    return _rejected(
        reason=RejectionReason.INVALID_JSON,
        message=f"JSON nested deeper than {MAX_NESTING_DEPTH} levels",
    )


def _reason_for(exc: ValidationError) -> RejectionReason:
    # Only reachable if pydantic's parser is stricter than json.loads on some input.
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        return RejectionReason.INVALID_JSON
    return RejectionReason.SCHEMA_VIOLATION


def _field_errors(exc: ValidationError, *, event_type: str) -> list[FieldError]:
    found: list[FieldError] = []
    for error in exc.errors(include_url=False, include_input=False):
        location = [str(part) for part in error["loc"]]
        # The discriminated union prefixes each location with the event_type tag; the
        # publisher's JSON has no such level.
        if location[:1] == [event_type]:
            location = location[1:]
        message = _message(error, location=location)
        concerned = (error.get("ctx") or {}).get(RULE_FIELDS_CONTEXT_KEY) or ()
        if concerned:
            found.extend(
                FieldError(path=_path([*location, *field.split(".")]), message=message)
                for field in concerned
            )
        else:
            found.append(FieldError(path=_path(location), message=message))
    return found


def _message(error: ErrorDetails, *, location: list[str]) -> str:
    if error["type"] != "extra_forbidden":
        return error["msg"]
    if len(location) == 1 and location[0] in SERVER_FIELDS:
        return (
            f"Extra field not permitted: {location[0]} is assigned by the audit service "
            "and must not be sent by publishers"
        )
    return "Extra field not permitted"


def _path(location: list[str]) -> str:
    return ".".join(location) if location else ROOT_PATH


def _rejected(*, reason: RejectionReason, message: str) -> EventRejected:
    return EventRejected(reason=reason, errors=[FieldError(path=ROOT_PATH, message=message)])
