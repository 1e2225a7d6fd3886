"""The body of ``GET /v1/clinics/{clinic_id}/access-report``."""

from __future__ import annotations

from events import AccessChannel, AccessOutcome, AccessRole
from services.bodies.common import Count, ExactOut, Instant, PeriodOut

__all__ = ["AccessLine", "AccessReport"]


class AccessLine(ExactOut):
    """One recorded read (an `access.recorded` event)."""

    event_id: str
    occurred_at: Instant
    recorded_at: Instant
    token_name: str
    role: AccessRole
    channel: AccessChannel
    resource: str
    """What was read, e.g. `GET /v1/sessions/s-1/timeline`."""
    query: dict[str, str]
    """The query parameters of the read."""
    outcome: AccessOutcome
    patient_id: str
    """The patient read, or `-` for a clinic-level look at the access report (one per
    look, whatever it listed)."""
    session_id: str | None
    """Null when the read was not of one session."""
    clinic_level: bool
    """True for a look at the access report, recorded once and of no patient (`-`)."""


class AccessReport(ExactOut):
    clinic_id: str
    period: PeriodOut
    """The exact period answered: reads whose instant lies in it."""
    patient_id: str | None
    """The patient asked for; null for every patient."""
    token_name: str | None
    """The token asked for; null for every token."""
    outcome: AccessOutcome | None
    """The outcome asked for (`denied`: only refused reads); null for both."""
    excluded_reader: str | None
    """The token whose reads were left out (`exclude_reader=`); null for none."""
    lines: list[AccessLine]
    """Newest first."""
    readers: dict[str, Count]
    """Token name -> reads, most active first."""
    patients: dict[str, Count]
    """Patient -> reads, most read first; clinic-level looks (`-`) are no patient's."""
