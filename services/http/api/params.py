"""Query and path parameters shared by the read endpoints: instants, periods, identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Query, Request
from pydantic import TypeAdapter, WithJsonSchema

from events import ClinicId
from services.http.api.problems import InvalidRequest
from services.http.deps import Context
from services.period import (
    AS_OF_FORMS,
    FORMS,
    Period,
    PeriodError,
    parse_as_of,
    parse_bound,
    resolve_period,
)

__all__ = [
    "BOUND_SCHEMA",
    "AsOf",
    "AsOfText",
    "ClinicIdPath",
    "ClinicIdQuery",
    "DocumentedAsBound",
    "PatientIdQuery",
    "RequestedPeriod",
    "SessionIdPath",
    "WrittenClinicIdPath",
    "get_as_of",
    "get_period",
]

# Identifiers are 1-64 characters (clinic ids without '/'). NUL is refused too: no
# database can store it, so no recorded clinic or patient can have it.
_CLINIC_PATTERN: Final = r"^[^/\x00]{1,64}$"
_IDENTIFIER_PATTERN: Final = r"^[^\x00]{1,64}$"

_YEAR: Final = r"^(19|2[0-9])[0-9]{2}-"
"""The years 1900 to 2999, which every instant the API reads must lie in."""

BOUND_SCHEMA: Final = {
    "anyOf": [
        {"type": "string", "format": "date", "pattern": _YEAR, "maxLength": 64},
        {"type": "string", "format": "date-time", "pattern": _YEAR, "maxLength": 64},
    ]
}
"""A day or an instant, in the years 1900 to 2999: what ``parse_bound`` and
``parse_as_of`` read (they also read a time without offset, on the clinic's clock,
which JSON Schema has no format for)."""

DocumentedAsBound = WithJsonSchema(BOUND_SCHEMA)
"""Documents a ``str`` parameter as ``BOUND_SCHEMA``; the handler still parses it, so
that its problems are answered in the API's own words."""

ClinicIdPath = Annotated[
    str, Path(pattern=_CLINIC_PATTERN, description="The clinic's id.", examples=["clinic-demo"])
]
WrittenClinicIdPath = Annotated[
    str,
    Path(
        pattern=TypeAdapter(ClinicId).json_schema()["pattern"],
        max_length=64,
        description="The clinic's id, as the contract takes it: 1-64 characters, not blank, "
        "no control characters, no '/'.",
        examples=["clinic-demo"],
    ),
]
"""The clinic of a route that publishes an event for it (not only reads)."""
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


def get_period(
    request: Request,
    context: Context,
    start_text: Annotated[
        str | None,
        DocumentedAsBound,
        Query(
            alias="from",
            description=f"First day (included) or start instant of the period; {FORMS}. "
            "Days begin at midnight in the clinic's time zone. Default: the 7 days ending "
            "with `to`.",
        ),
    ] = None,
    end_text: Annotated[
        str | None,
        DocumentedAsBound,
        Query(
            alias="to",
            description=f"Last day (included) or end instant (excluded) of the period; "
            f"{FORMS}. Default: today, at the clinic.",
        ),
    ] = None,
) -> Period:
    """The period asked for, in the time zone of the clinic the request is about.

    Every endpoint with a period names its clinic in the path or the query as
    ``clinic_id``; the dependency reads it from there so that each handler cannot forget.
    """
    clinic_id = request.path_params.get("clinic_id") or request.query_params.get("clinic_id")
    try:
        # 'to' first: an address wrong in both is answered about 'to', as it always was.
        end = parse_bound(end_text, parameter="to") if end_text is not None else None
        return resolve_period(
            parse_bound(start_text, parameter="from") if start_text is not None else None,
            end,
            zone=context.zones.for_clinic(clinic_id),
            now=context.clock.now(),
        )
    except PeriodError as problem:
        raise InvalidRequest.about(problem.parameter, problem.message) from None


RequestedPeriod = Annotated[Period, Depends(get_period)]


@dataclass(frozen=True, slots=True)
class AsOfText:
    """An ``as_of`` already known to be readable, waiting for the clinic whose clock a time
    without offset is on: for a session that is known only once its owner is read."""

    text: str | None

    def at(self, zone: ZoneInfo) -> datetime | None:
        """The instant (UTC), None when none was asked for (the caller's now)."""
        if self.text is None:
            return None
        return parse_as_of(self.text, zone=zone)


def get_as_of(
    as_of: Annotated[
        str | None,
        DocumentedAsBound,
        Query(
            description=f"Judge the record as it stood at this instant: {AS_OF_FORMS}. "
            "Default: now."
        ),
    ] = None,
) -> AsOfText:
    if as_of is not None:
        try:
            # Any zone shows whether the text reads at all; the clinic's is applied later.
            parse_as_of(as_of, zone=ZoneInfo("UTC"))
        except PeriodError as problem:
            raise InvalidRequest.about(problem.parameter, problem.message) from None
    return AsOfText(as_of)


AsOf = Annotated[AsOfText, Depends(get_as_of)]
