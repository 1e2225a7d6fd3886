"""An event as the log recorded it: the publisher's event plus the server's facts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events import SessionEvent, canonical_json, read_stored_event

__all__ = ["Recorded"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """One log entry: what happened (``event``), and where and when the log took it."""

    event: SessionEvent
    position: int
    recorded_at: datetime
    _event_id: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def event_id(self) -> str:
        # Kept once made: the folds key, dedupe and match amendments by it many times per
        # event, and UUID.__str__ is Python code (a third of a session's fold time).
        event_id = self._event_id
        if event_id is None:
            event_id = str(self.event.event_id)
            object.__setattr__(self, "_event_id", event_id)
        return event_id

    def to_document(self) -> dict[str, Any]:
        """A JSON-able form for read models; ``from_document`` reverses it."""
        return {
            "position": self.position,
            "recorded_at": self.recorded_at.isoformat(),
            "event": json.loads(canonical_json(self.event)),
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Recorded:
        return cls(
            event=read_stored_event(json.dumps(document["event"])),
            position=int(document["position"]),
            recorded_at=datetime.fromisoformat(document["recorded_at"]),
        )
