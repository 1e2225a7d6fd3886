"""Query and path parameters shared by the read endpoints: instants, periods, identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from fastapi import Depends, Path, Query

from services.http.api.problems import InvalidRequest
from services.http.deps import Context

__all__ = [
    "DEFAULT_PERIOD",
    "LONGEST_PERIOD",
    "AsOf",
    "ClinicIdPath",
    "ClinicIdQuery",
    "PatientIdQuery",
    "Period",
    "RequestedPeriod",
    "SessionIdPath",
    "get_as_of",
    "get_period",
    "parse_instant",
    "storable_identifier",
]

DEFAULT_PERIOD: Final = timedelta(days=7)
LONGEST_PERIOD: Final = timedelta(days=366)
"""A year (leap day included) at most per request: verdicts are computed per session."""

# Far beyond any clinical record, and far enough from datetime's limits that shifting a
# period by days or changing time zones can never overflow.
_EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(3000, 1, 1, tzinfo=UTC)

_INSTANT_HELP = (
    "ISO 8601 date or instant, e.g. 2026-11-24 or 2026-11-24T17:00:00-07:00; "
    "a date or a time without offset is read as UTC"
)

# Identifiers are 1-64 characters (clinic ids without '/'). NUL is refused too: no
# database can store it, so no recorded clinic or patient can have it.
_CLINIC_PATTERN: Final = r"^[^/\x00]{1,64}$"
_IDENTIFIER_PATTERN: Final = r"^[^\x00]{1,64}$"

ClinicIdPath = Annotated[
    str, Path(pattern=_CLINIC_PATTERN, description="The clinic's id.", examples=["clinic-demo"])
]
ClinicIdQuery = Annotated[
    str, Query(pattern=_CLINIC_PATTERN, description="The clinic's id.", examples=["clinic-demo"])
]
SessionIdPath = Annotated[
    str,
    # Not constrained here: an impossible id must be refused like a missing session (403).
    Path(description="The session's id.", examples=["sess-demo-05"]),
]
PatientIdQuery = Annotated[
    str | None, Query(pattern=_IDENTIFIER_PATTERN, description="Only this patient.")
]


def storable_identifier(value: str, *, longest: int = 64) -> bool:
    """Whether ``value`` could be a recorded identifier (of at most ``longest`` characters)."""
    return 0 < len(value) <= longest and "\x00" not in value


def parse_instant(text: str, *, name: str) -> datetime:
    """An aware UTC instant from ISO 8601 text, or a 422 naming the parameter ``name``."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequest.about(name, f"{shown!r} is not an {_INSTANT_HELP}") from None
    out_of_range = InvalidRequest.about(name, f"{shown!r} is outside the years 1900 to 2999")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    try:
        instant = instant.astimezone(UTC)
    except OverflowError:
        raise out_of_range from None
    if not _EARLIEST <= instant < _LATEST:
        raise out_of_range
    return instant


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """``[start, end)``, both aware UTC instants."""

    start: datetime
    end: datetime


def get_period(
    context: Context,
    start_text: Annotated[
        str | None,
        Query(
            alias="from",
            description=f"Start of the period; {_INSTANT_HELP}. Default: 7 days before `to`.",
        ),
    ] = None,
    end_text: Annotated[
        str | None,
        Query(
            alias="to", description=f"End of the period, exclusive; {_INSTANT_HELP}. Default: now."
        ),
    ] = None,
) -> Period:
    end = parse_instant(end_text, name="to") if end_text is not None else context.clock.now()
    start = (
        parse_instant(start_text, name="from") if start_text is not None else end - DEFAULT_PERIOD
    )
    if end <= start:
        raise InvalidRequest.about("to", "must be later than 'from' (the period is [from, to))")
    if end - start > LONGEST_PERIOD:
        raise InvalidRequest.about("from", "the period may span at most 366 days")
    return Period(start=start, end=end)


RequestedPeriod = Annotated[Period, Depends(get_period)]


def get_as_of(
    as_of: Annotated[
        str | None,
        Query(
            description=f"Judge the record as it stood at this instant; {_INSTANT_HELP}. "
            "Default: now."
        ),
    ] = None,
) -> datetime | None:
    return parse_instant(as_of, name="as_of") if as_of is not None else None


AsOf = Annotated[datetime | None, Depends(get_as_of)]
