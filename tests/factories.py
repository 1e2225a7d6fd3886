"""Test data: valid contract documents built from the catalogue's examples."""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from events import SessionEvent, canonical_json, parse_event
from events.examples import EXAMPLES
from services.recording import KafkaCoordinates, ValidEvent

_offsets = iter(range(1_000_000))


def document(event_type: str, **overrides: Any) -> dict[str, Any]:
    """A valid event document of ``event_type`` with a fresh event_id; overrides win."""
    doc = copy.deepcopy(EXAMPLES[event_type])
    doc["event_id"] = str(uuid.uuid4())
    payload = overrides.pop("payload", None)
    doc.update(overrides)
    if payload is not None:
        doc["payload"] = {**doc["payload"], **payload}
    return doc


def at(doc: dict[str, Any], instant: datetime) -> dict[str, Any]:
    doc["occurred_at"] = instant.isoformat()
    return doc


def session_documents(session_id: str, count: int, *, start: datetime) -> list[dict[str, Any]]:
    """``count`` monitoring checks of one session, five minutes apart."""
    return [
        at(document("vitals.recorded", session_id=session_id), start + timedelta(minutes=5 * i))
        for i in range(count)
    ]


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode("utf-8")


def event(doc: dict[str, Any]) -> SessionEvent:
    return parse_event(encode(doc))


def valid(doc: dict[str, Any], *, offset: int | None = None) -> ValidEvent:
    """A ValidEvent as the recorder would hand it to the store."""
    parsed = event(doc)
    return ValidEvent(
        event=parsed,
        canonical_json=canonical_json(parsed).decode("utf-8"),
        coordinates=coordinates(offset),
    )


def coordinates(offset: int | None = None) -> KafkaCoordinates:
    return KafkaCoordinates(
        topic="kap.session-events.v1",
        partition=0,
        offset=next(_offsets) if offset is None else offset,
    )


def stored_under_a_looser_contract(session_id: str) -> tuple[str, ValidEvent]:
    """A dose of 1e308 mg, as the log kept it before doses had a range: recorded and
    hashed as given, but no longer valid by the contract. Returns its event id too."""
    dose = document("dose.administered", session_id=session_id)
    item = valid(dose)
    stored = json.loads(item.canonical_json)
    stored["payload"]["dose_mg"] = 1e308
    legacy = json.dumps(stored, sort_keys=True, separators=(",", ":"))
    return dose["event_id"], dataclasses.replace(item, canonical_json=legacy)
