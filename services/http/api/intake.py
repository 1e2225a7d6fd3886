"""Reading a ``POST /v1/events`` body: one event, or ``{"events": [...]}`` of 1 to 1000.

The contract's own validator, ``events.parse_event``, judges every event; this module
only finds the events in the body and says which of them is wrong, field by field.
"""

from __future__ import annotations

import json
from typing import Any, Final

from events import (
    ROOT_PATH,
    AccessRecorded,
    EventRejected,
    FieldError,
    RejectionReason,
    SessionEvent,
    canonical_json,
    json_kind,
    load_strict_json,
    parse_event,
)
from services.http.api.problems import InvalidRequest, Problem

__all__ = ["MAX_EVENTS", "read_events"]

MAX_EVENTS: Final = 1000

_ACCESS_REFUSED: Final = (
    "access.recorded is written by kapaudit itself when data is read; it cannot be published"
)

_SHAPE = 'Expected one event object, or {"events": [...]} with 1 to 1000 events'


def read_events(raw: bytes) -> list[SessionEvent]:
    """The body's events, repeats of the same event once; else ``InvalidRequest`` listing
    every problem of every event (each with its index in the batch)."""
    items = _items(_document(raw))
    parsed: list[tuple[int, SessionEvent]] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        try:
            event = parse_event(_encoded(item))
        except EventRejected as rejected:
            problems.extend(
                Problem(index=index, path=error.path, message=error.message)
                for error in rejected.errors
            )
            continue
        if isinstance(event, AccessRecorded):
            # The access log is kapaudit's own account of reads; a client could otherwise
            # forge reads by others into it.
            problems.append(Problem(index=index, path="event_type", message=_ACCESS_REFUSED))
            continue
        parsed.append((index, event))
    events, conflicts = _unique(parsed)
    problems.extend(conflicts)
    if problems:
        raise InvalidRequest(sorted(problems, key=lambda p: p.index or 0))
    return events


def _document(raw: bytes) -> Any:
    try:
        return load_strict_json(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise _root(f"Not valid UTF-8: {error.reason} at byte {error.start}") from None
    except RecursionError:
        raise _root("JSON nested too deeply") from None
    except ValueError as error:
        raise _root(f"Invalid JSON: {error}") from None


def _items(document: Any) -> list[Any]:
    # An event never has an "events" field, but one that does is reported as an event
    # with an extra field rather than as a malformed batch.
    if not isinstance(document, dict):
        raise _root(f"{_SHAPE}; got {json_kind(document)}")
    if "events" not in document or "event_type" in document:
        return [document]
    extra = sorted(key for key in document if key != "events")
    if extra:
        raise _root(f"{_SHAPE}; a batch has no other key than events, got {extra[:5]}")
    events = document["events"]
    if not isinstance(events, list):
        raise InvalidRequest.about("events", f"{_SHAPE}; got {json_kind(events)}")
    if not 1 <= len(events) <= MAX_EVENTS:
        raise InvalidRequest.about(
            "events", f"{_SHAPE}; got {len(events)} events (send larger batches in parts)"
        )
    return events


def _encoded(item: Any) -> bytes:
    # Compact, so that the contract's size limit counts the event, not our whitespace.
    try:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        raise _unencodable("a string contains a lone surrogate escape") from None
    except RecursionError:
        raise _unencodable("JSON nested too deeply") from None


def _unique(
    parsed: list[tuple[int, SessionEvent]],
) -> tuple[list[SessionEvent], list[Problem]]:
    """Each event once; the same event_id with other content is refused here, since the
    log would keep only the first and dead-letter the other."""
    first: dict[str, tuple[int, bytes]] = {}
    events: list[SessionEvent] = []
    conflicts: list[Problem] = []
    for index, event in parsed:
        event_id = str(event.event_id)
        body = canonical_json(event)
        seen = first.get(event_id)
        if seen is None:
            first[event_id] = (index, body)
            events.append(event)
        elif seen[1] != body:
            conflicts.append(
                Problem(
                    index=index,
                    path="event_id",
                    message=f"repeats the event_id of event {seen[0]} with other content",
                )
            )
    return events, conflicts


def _unencodable(message: str) -> EventRejected:
    return EventRejected(
        reason=RejectionReason.INVALID_JSON, errors=[FieldError(path=ROOT_PATH, message=message)]
    )


def _root(message: str) -> InvalidRequest:
    return InvalidRequest.about(ROOT_PATH, message)
