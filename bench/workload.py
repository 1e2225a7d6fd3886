"""The benchmarks' workload: the demo clinic day's mix, copied across clinics and days.

Every figure in ``docs/BENCHMARKS.md`` is measured on the same events: the demo clinic day
(``services.demo``: 24 sessions of four protocols, consents, REMS enrolments, doses, wastes,
vitals every ten minutes, discharges, integration notes, an amendment, planted lapses),
copied with fresh clinic, patient, session and event ids and shifted by whole days. Copy
``k`` goes to clinic ``k % clinics``; each clinic's copies are spread over about a year
ending on the demo day, so that a 30-day report covers a month of a busy clinic, not the
whole log.

The text of each copy is rendered from a template of the day's canonical events (about
2 us an event), so that a million events are ready in seconds; one event in a thousand is
checked against the contract to keep the copies honest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from events import canonical_json, parse_event, stream_id
from services.demo.clinic_day import DEFAULT_DAY, demo_day_events

__all__ = ["EVENTS_PER_DAY", "SESSIONS_PER_DAY", "BenchEvent", "Workload", "clinic_ids"]

_TEMPLATE_CLINIC = "clinic-bench"
# What one copy of the day's canonical text varies by: its dates, clinic, session and
# patient ids, and its event ids (whose first 8 hex digits are replaced, which keeps them
# unique and an amendment's reference pointing at its own copy).
_VARYING = re.compile(
    r"(\d{4}-\d{2}-\d{2}(?=T)|sess-demo-|\"patient_id\":\"pt-|\"clinic_id\":\"clinic-bench\"|"
    r"[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"))"
)
_DAY = [canonical_json(parse_event(json.dumps(d).encode())).decode() for d in
        demo_day_events(clinic_id=_TEMPLATE_CLINIC)]  # fmt: skip
EVENTS_PER_DAY = len(_DAY)
SESSIONS_PER_DAY = len({parse_event(text.encode()).session_id for text in _DAY} - {None})


def clinic_ids(clinics: int) -> list[str]:
    return [f"clinic-{n:02d}" for n in range(clinics)]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchEvent:
    """One event of the workload, as a publisher sends it and as the log files it."""

    key: bytes
    """The Kafka key (``events.partition_key``)."""
    value: bytes
    """The event's canonical JSON."""
    event_id: str
    event_type: str
    clinic_id: str
    patient_id: str
    session_id: str | None
    stream_id: str
    occurred_at: datetime


class _Template:
    def __init__(self, text: str) -> None:
        event = parse_event(text.encode())
        self.event_type = event.event_type
        self.session_suffix = (
            None if event.session_id is None else event.session_id.removeprefix("sess-demo-")
        )
        self.patient_suffix = event.patient_id.removeprefix("pt-")
        self.stream_kind = stream_id(event).split("/")[1]
        self.occurred = event.occurred_at.astimezone(UTC)
        self.parts = _VARYING.split(text)

    def render(self, copy: int, clinic: str, shift: timedelta, dates: dict[str, str]) -> str:
        out = []
        for n, part in enumerate(self.parts):
            if not n % 2:
                out.append(part)
            elif part == "sess-demo-":
                out.append(f"sess-{copy}-")
            elif part.startswith('"patient_id"'):
                out.append(f'"patient_id":"pt{copy}-')
            elif part.startswith('"clinic_id"'):
                out.append(f'"clinic_id":"{clinic}"')
            elif len(part) == 8:
                out.append(f"{copy:08x}")
            else:
                shifted = dates.get(part)
                if shifted is None:
                    shifted = dates[part] = (date.fromisoformat(part) + shift).isoformat()
                out.append(shifted)
        return "".join(out)


_TEMPLATES = [_Template(text) for text in _DAY]


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """``events`` events of the demo day's mix across ``clinics`` clinics."""

    events: int
    clinics: int = 20
    span_days: int = 365
    """How far back each clinic's first copy of the day lies (at most one copy a day)."""

    @property
    def days_per_clinic(self) -> int:
        return -(-self.copies // self.clinics)

    @property
    def copies(self) -> int:
        return -(-self.events // EVENTS_PER_DAY)

    @property
    def sessions(self) -> int:
        """About how many sessions the workload holds."""
        return self.events * SESSIONS_PER_DAY // EVENTS_PER_DAY

    @property
    def last_day(self) -> date:
        return DEFAULT_DAY

    def day_of(self, copy: int) -> date:
        """The day copy ``copy`` is shifted to: each clinic's copies are spread evenly
        over ``span_days`` ending on the demo day."""
        spacing = max(1, self.span_days // max(1, self.days_per_clinic))
        back = (self.days_per_clinic - 1 - copy // self.clinics) * spacing
        return DEFAULT_DAY - timedelta(days=back)

    def __iter__(self) -> Iterator[BenchEvent]:
        produced = 0
        for copy in range(self.copies):
            clinic = f"clinic-{copy % self.clinics:02d}"
            shift = self.day_of(copy) - DEFAULT_DAY
            dates: dict[str, str] = {}
            for template in _TEMPLATES:
                if produced == self.events:
                    return
                text = template.render(copy, clinic, shift, dates)
                if produced % 1000 == 7:
                    # Copies must stay what the contract accepts and the log would store.
                    assert canonical_json(parse_event(text.encode())).decode() == text
                patient = f"pt{copy}-{template.patient_suffix}"
                session = (
                    None if template.session_suffix is None
                    else f"sess-{copy}-{template.session_suffix}"
                )  # fmt: skip
                key = session if template.stream_kind == "session" else patient
                assert key is not None
                yield BenchEvent(
                    key=key.encode(),
                    value=text.encode(),
                    event_id=text[(at := text.index('"event_id":"') + 12) : at + 36],
                    event_type=template.event_type,
                    clinic_id=clinic,
                    patient_id=patient,
                    session_id=session,
                    stream_id=f"{clinic}/{template.stream_kind}/{key}",
                    occurred_at=template.occurred + shift,
                )
                produced += 1
