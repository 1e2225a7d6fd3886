"""A reporting period: whole days at a clinic, or instants, as ``[start, end)`` in UTC.

Every entry point (API, CSV, CLI, dashboard) reads its period through here, so that
"2026-11-27 to 2026-12-03" selects the same sessions everywhere: whole days, both
included, each cut at midnight in the clinic's time zone. A day with a DST change is
23 or 25 hours long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "AS_OF_FORMS",
    "DEFAULT_DAYS",
    "FORMS",
    "LONGEST_DAYS",
    "Bound",
    "Period",
    "PeriodError",
    "day_start",
    "parse_as_of",
    "parse_bound",
    "parse_day",
    "resolve_period",
]

DEFAULT_DAYS: Final = 7
"""Without ``from``: the last seven days, the day of ``to`` (default: today) included."""

LONGEST_DAYS: Final = 366
"""A year (leap day included) at most: every session of the period is loaded and judged."""

# Far beyond any clinical record, and far enough from datetime's limits that shifting a
# period by days or changing time zones can never overflow.
_EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(3000, 1, 1, tzinfo=UTC)
_TINY: Final = timedelta(microseconds=1)

FORMS: Final = (
    "ISO 8601 date or instant, e.g. 2026-11-24 or 2026-11-24T17:00:00-07:00; "
    "a date is a whole day and a time without offset is on the clinic's clock"
)
"""What ``parse_bound`` accepts, for help texts."""

Bound = date | datetime
"""A whole day (a ``date``), or an instant: aware, or naive (on the clinic's clock)."""


class PeriodError(ValueError):
    """A bound that cannot be read, or bounds that make no period; names the parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """``[start, end)``, aware UTC instants, and the zone its days are cut in."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    @classmethod
    def of_days(cls, first: date, last: date, *, zone: ZoneInfo) -> Period:
        """The whole days ``first`` to ``last``, both included, at ``zone``."""
        return cls(
            start=day_start(first, zone), end=day_start(last + timedelta(days=1), zone), zone=zone
        )

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.zone)

    @property
    def first(self) -> date:
        """The day (at the zone) of the period's first instant."""
        return self.local_start.date()

    @property
    def last(self) -> date:
        """The day (at the zone) of the period's last instant: ``end`` is excluded."""
        return (self.end - _TINY).astimezone(self.zone).date()

    def describe(self) -> str:
        """The exact instants, e.g. ``2026-11-27 00:00 to 2026-12-04 00:00 America/Denver
        (2026-11-27T07:00:00Z/2026-12-04T07:00:00Z)``."""
        return (
            f"{_wall(self.local_start)} to {_wall(self.local_end)} {self.zone.key} "
            f"({_utc(self.start)}/{_utc(self.end)})"
        )

    def as_json(self) -> dict[str, str]:
        """The period as the API's bodies give it."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "time_zone": self.zone.key,
            "local_start": self.local_start.isoformat(),
            "local_end": self.local_end.isoformat(),
            "description": self.describe(),
        }


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` at ``zone``, in UTC.

    Where a DST change skips midnight, ``fold=0`` reads the skipped wall time with the
    offset before the change, which is the instant the day begins.
    """
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def parse_bound(text: str, *, parameter: str) -> Bound:
    """A date or an instant (see ``FORMS``) in the years 1900 to 2999, else PeriodError."""
    shown = _shown(text)
    stripped = text.strip()
    try:
        return _in_range(date.fromisoformat(stripped), shown=shown, parameter=parameter)
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(stripped)
    except ValueError:
        raise PeriodError(parameter, f"{shown!r} is not an {FORMS}") from None
    if instant.tzinfo is None:
        _in_range(instant.date(), shown=shown, parameter=parameter)
        return instant
    try:
        instant = instant.astimezone(UTC)
    except OverflowError:
        raise _outside(shown, parameter) from None
    if not _EARLIEST <= instant < _LATEST:
        raise _outside(shown, parameter)
    return instant


AS_OF_FORMS: Final = (
    "a date and time, e.g. 2026-11-24T17:00 or 2026-11-24 17:00 on the clinic's clock, or "
    "with an offset, e.g. 2026-11-24T17:00:00-07:00; a date alone is that day's midnight at "
    "the clinic"
)
"""What ``parse_as_of`` accepts, for help texts and messages."""


def parse_as_of(text: str, *, zone: ZoneInfo, parameter: str = "as_of") -> datetime:
    """The instant ``text`` names, as an aware UTC datetime, else PeriodError.

    ``text`` is what a ``datetime-local`` picker sends (``2026-11-24T17:00``) or ISO 8601
    text; without an offset it is read on the clinic's clock (``zone``), because that is the
    clock every page shows. A wall time a DST change skips or repeats is read with the
    offset in force before the change (``fold=0``), as ``day_start`` does.
    """
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(parameter, f"{_shown(text)!r} is not {AS_OF_FORMS}") from None
    bound = parse_bound(text, parameter=parameter)
    if isinstance(bound, datetime):
        return _instant(bound, zone)
    return day_start(bound, zone)


def parse_day(text: str, *, parameter: str) -> date:
    """A date (YYYY-MM-DD) in the years 1900 to 2999, else PeriodError."""
    shown = _shown(text)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(parameter, f"{shown!r} is not a date (YYYY-MM-DD)") from None
    return _in_range(day, shown=shown, parameter=parameter)


def resolve_period(
    start: Bound | None, end: Bound | None, *, zone: ZoneInfo, now: datetime
) -> Period:
    """The period from ``start`` to ``end`` at ``zone``; a date as ``end`` is included whole.

    Without ``end``: up to the end of today (at ``zone``). Without ``start``: the
    ``DEFAULT_DAYS`` days ending with the day of ``end``, or the ``DEFAULT_DAYS`` times 24
    hours before an instant ``end``.
    """
    last = end if end is not None else now.astimezone(zone).date()
    end_at = _end_instant(last, zone)
    if start is not None:
        start_at = _start_instant(start, zone)
    elif isinstance(last, datetime):
        start_at = end_at - timedelta(days=DEFAULT_DAYS)
    else:
        start_at = day_start(last - timedelta(days=DEFAULT_DAYS - 1), zone)
    if end_at <= start_at:
        raise PeriodError("to", "must not be before 'from': the period would be empty")
    period = Period(start=start_at, end=end_at, zone=zone)
    # On the zone's wall clock, so a year crossing DST changes is still 366 days.
    span = period.local_end.replace(tzinfo=None) - period.local_start.replace(tzinfo=None)
    if span > timedelta(days=LONGEST_DAYS):
        days = span.days + (1 if span % timedelta(days=1) else 0)
        raise PeriodError(
            "from",
            f"the period {period.first} to {period.last} spans {days} days; "
            f"a period may span at most {LONGEST_DAYS} days",
        )
    return period


def _start_instant(bound: Bound, zone: ZoneInfo) -> datetime:
    if isinstance(bound, datetime):
        return _instant(bound, zone)
    return day_start(bound, zone)


def _end_instant(bound: Bound, zone: ZoneInfo) -> datetime:
    if isinstance(bound, datetime):
        return _instant(bound, zone)
    return day_start(bound + timedelta(days=1), zone)


def _instant(bound: datetime, zone: ZoneInfo) -> datetime:
    return (bound if bound.tzinfo else bound.replace(tzinfo=zone)).astimezone(UTC)


def _in_range(day: date, *, shown: str, parameter: str) -> date:
    # 2999-12-31 still has a next day within datetime's range, at any offset.
    if not 1900 <= day.year <= 2999:
        raise _outside(shown, parameter)
    return day


def _outside(shown: str, parameter: str) -> PeriodError:
    return PeriodError(parameter, f"{shown!r} is outside the years 1900 to 2999")


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


def _wall(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M" if not instant.second else "%Y-%m-%d %H:%M:%S")


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
