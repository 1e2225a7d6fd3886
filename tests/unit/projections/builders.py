"""Recorded events for projection tests, from the catalogue's examples."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from projections import Recorded
from tests.factories import at, document, event

T0 = datetime.fromisoformat("2026-11-24T09:00:00-07:00")


class Log:
    """Hands out increasing positions; recorded one minute after occurring by default."""

    def __init__(self) -> None:
        self.position = 0

    def add(
        self,
        event_type: str,
        *,
        minute: float,
        recorded_after: timedelta = timedelta(minutes=1),
        **overrides: Any,
    ) -> Recorded:
        self.position += 1
        occurred = T0 + timedelta(minutes=minute)
        doc = at(document(event_type, **overrides), occurred)
        return Recorded(
            event=event(doc), position=self.position, recorded_at=occurred + recorded_after
        )
