"""How results read: clock times, durations, readings.

Times print in the instant's own UTC offset; ``SessionFacts`` puts every instant of a
session on one offset (the one its booking was written in) before the rules see it, so
one sentence never mixes two clocks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from events import VitalsRecorded

__all__ = ["blood_pressure", "clock", "duration", "in_minutes", "kind", "spo2", "stamp"]

_KINDS: Final = {
    "consent.given": "consent",
    "consent.withdrawn": "consent withdrawal",
    "rems.patient_enrolled": "REMS enrolment",
    "session.scheduled": "booking",
    "session.started": "session start",
    "vitals.recorded": "monitoring check",
    "dose.administered": "dose",
    "dose.wasted": "waste record",
    "adverse_event.reported": "adverse event report",
    "patient.discharged": "discharge",
    "session.ended": "session end",
    "integration_note.recorded": "integration note",
    "rems.monitoring_form_submitted": "REMS monitoring form",
    "record.amended": "amendment",
}


def clock(instant: datetime) -> str:
    """HH:MM in the instant's own UTC offset (the session's, once in ``SessionFacts``)."""
    return instant.strftime("%H:%M")


def stamp(instant: datetime) -> str:
    """Date and clock time, for events on another day than the dose."""
    return instant.strftime("%Y-%m-%d %H:%M")


def duration(delta: timedelta) -> str:
    """A span as a person says it: "8 min", "2 h 5 min", "3 days 4 h"."""
    seconds = int(abs(delta).total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = []
    if days:
        parts.append(f"{days} day" if days == 1 else f"{days} days")
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if seconds:
        parts.append(f"{seconds} s")
    return " ".join(parts) or "0 min"


def in_minutes(delta: timedelta) -> str:
    """A clinical span in minutes ("125 min"), the unit the thresholds are set in."""
    seconds = int(abs(delta).total_seconds())
    whole, rest = divmod(seconds, 60)
    return f"{whole} min {rest} s" if rest else f"{whole} min"


def blood_pressure(check: VitalsRecorded) -> str:
    return f"{check.payload.systolic_mmhg}/{check.payload.diastolic_mmhg}"


def spo2(check: VitalsRecorded) -> str:
    return f"{check.payload.spo2_pct:g}%"


def kind(event_type: str) -> str:
    """A compliance officer's word for an event type."""
    return _KINDS.get(event_type, event_type)
