"""What a valid request must also satisfy beyond the OpenAPI document, told to schemathesis.

The document states every rule JSON Schema can (the contract's event schemas, patterns,
the rule book's ids). These hooks keep schemathesis's *valid* (positive) requests to the
ones that also meet the rules it cannot state, as docs/API.md states them, so that any
other 422 to a valid request is a failure (check ``positive_data_acceptance``, ST202):

- a period (``from``, ``to``) does not end before it starts and spans at most 366 days;
  with ``from`` alone it ends today, which only the server's clock knows, so such requests
  are left out; two days are exact, other bounds are kept two days clear of both limits,
  since the clinic's time zone moves them;
- an export names a clinic the log holds and earlier log sizes it has reached: the state
  the fuzz runs start from (``make run``'s demo month, the fuzz test's demo day) holds
  ``clinic-demo`` and more than 100 entries;
- a profile change does not end the post-dose window before it starts;
- in ``POST /v1/events``: a blood pressure's systolic is above its diastolic, an amendment
  does not amend itself, and one batch does not hold two different events with one id.

Negative (invalid) requests are left alone. Loaded by ``schemathesis.toml`` (run
``schemathesis run URL/openapi.json`` from the repository's root) and by
``test_openapi_fuzzing.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import schemathesis
from schemathesis import GenerationMode

__all__ = ["KNOWN_CLINIC", "LOG_HOLDS_AT_LEAST", "filter_case", "map_case"]

KNOWN_CLINIC: Final = "clinic-demo"
LOG_HOLDS_AT_LEAST: Final = 100

_LONGEST: Final = timedelta(days=366 - 2)
_SHORTEST: Final = timedelta(days=2)


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    if not _positive(case):
        return True
    label = f"{case.operation.method.upper()} {case.operation.path}"
    body = case.body if isinstance(case.body, dict) else {}
    if label == "POST /v1/exports":
        return _a_period(body) and all(
            isinstance(size, int) and size <= LOG_HOLDS_AT_LEAST
            for size in body.get("previous_sizes") or []
        )
    if label == "POST /v1/events":
        return _events_hold_together(body)
    if label.endswith("/profiles/{protocol}"):
        return _a_window(body.get("settings"))
    if isinstance(case.query, dict) and ({"from", "to"} & set(case.query)):
        return _a_period(case.query)
    return True


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    label = f"{case.operation.method.upper()} {case.operation.path}"
    if _positive(case) and label == "POST /v1/exports" and isinstance(case.body, dict):
        case.body["clinic_id"] = KNOWN_CLINIC
    return case


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is None or meta.generation.mode is GenerationMode.POSITIVE


def _a_period(bounds: dict[str, Any]) -> bool:
    start, end = bounds.get("from"), bounds.get("to")
    if start is None:
        return True  # the last 7 days up to `to` (or today)
    if end is None:
        return False  # up to today, which only the server knows
    first, last = _instant(start, end=False), _instant(end, end=True)
    if first is None or last is None:
        return True  # not a bound at all: the server says so, as it should
    if _a_day(start) and _a_day(end):
        # Whole days at the clinic, both included: exact whatever its zone.
        return timedelta(days=1) <= last - first <= timedelta(days=366)
    return _SHORTEST <= last - first <= _LONGEST


def _a_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _instant(text: Any, *, end: bool) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time())
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    if instant.tzinfo is not None:
        return instant.astimezone(UTC).replace(tzinfo=None)
    return instant


def _a_window(settings: Any) -> bool:
    if not isinstance(settings, dict):
        return True
    start = settings.get("post_dose_bp_from_minutes")
    end = settings.get("post_dose_bp_until_minutes")
    return not (isinstance(start, int | float) and isinstance(end, int | float) and start >= end)


def _events_hold_together(body: dict[str, Any]) -> bool:
    events = body.get("events") if "events" in body else [body]
    if not isinstance(events, list):
        return True
    seen: dict[Any, Any] = {}
    for event in events:
        if not isinstance(event, dict):
            continue
        if seen.setdefault(event.get("event_id"), event) != event:
            return False
        payload = event.get("payload")
        if not _a_plausible_event(event, payload if isinstance(payload, dict) else {}):
            return False
    return True


def _a_plausible_event(event: dict[str, Any], payload: dict[str, Any]) -> bool:
    systolic, diastolic = payload.get("systolic_mmhg"), payload.get("diastolic_mmhg")
    numbers = isinstance(systolic, int | float) and isinstance(diastolic, int | float)
    if numbers and systolic <= diastolic:  # type: ignore[operator]
        return False
    kind = event.get("event_type")
    if kind == "record.amended" and payload.get("amends_event_id") == event.get("event_id"):
        return False
    return not (kind == "profile.changed" and not _a_window(payload.get("settings")))
