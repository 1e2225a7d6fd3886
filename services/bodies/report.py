"""The JSON body of ``GET /v1/clinics/{clinic_id}/compliance-report``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from events import Protocol
from services.bodies.common import Count, ExactOut, Instant, PeriodOut

__all__ = ["ComplianceReport", "FailingSession", "StatusCounts", "WeekTrend"]

Rate = Annotated[
    float | None,
    Field(
        ge=0,
        le=1,
        description="Compliant sessions over decided (compliant or non-compliant) ones; "
        "null when none is decided.",
    ),
]


class StatusCounts(ExactOut):
    """Sessions per status; every status is present, zero when none."""

    compliant: Count
    non_compliant: Count
    pending: Count
    open: Count


class FailingSession(ExactOut):
    session_id: str
    patient_id: str
    protocol: Protocol | None
    session_start: Instant | None
    """Null when the session was never booked and has no event yet."""
    failed_rules: list[str]
    profile_version: int | None
    """The clinic's profile version the session was judged with (0: shipped defaults)."""


class WeekTrend(ExactOut):
    week_start: date
    """The Monday of the ISO week, on the session's own clock."""
    sessions: Count
    by_status: StatusCounts
    compliance_rate: Rate


class ComplianceReport(ExactOut):
    clinic_id: str
    period: PeriodOut
    """The exact period answered (`start` and `end` repeat its instants)."""
    start: Instant
    end: Instant
    as_of: Instant
    sessions: Count
    by_status: StatusCounts
    by_protocol: dict[str, StatusCounts] = Field(
        json_schema_extra={"propertyNames": {"enum": [*(p.value for p in Protocol), "unknown"]}}
    )
    """Protocol -> sessions per status (`unknown` when no session.scheduled was seen)."""
    compliance_rate: Rate
    failures_by_rule: dict[str, Count]
    """Rule id -> failing sessions, most failed first."""
    failing_sessions: list[FailingSession]
    weeks: list[WeekTrend]
    """One per ISO week with a session start, oldest first."""
    profile_versions: dict[str, int] = Field(
        json_schema_extra={"propertyNames": {"enum": [p.value for p in Protocol]}}
    )
    """Protocol -> the clinic's profile version its sessions were judged with, the one in
    force at `as_of` (0: the shipped defaults; `GET /v1/clinics/{id}/profiles` lists them)."""
