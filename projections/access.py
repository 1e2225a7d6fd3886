"""The accounting of reads (HIPAA 164.528-style): who looked at which patient's data, when.

A look at the access report itself is one clinic-level line (patient ``-``): it is
listed among the reads, but counts as no patient's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from events import CLINIC_LEVEL_PATIENT, AccessRecorded
from projections.recorded import Recorded

__all__ = ["AccessLine", "AccessReport", "build_access_report"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessLine:
    event_id: str
    occurred_at: datetime
    recorded_at: datetime
    token_name: str
    role: str
    channel: str
    resource: str
    query: dict[str, str]
    outcome: str
    patient_id: str
    """The patient read, or ``-`` for a clinic-level look (at the access report)."""
    session_id: str | None

    @property
    def clinic_level(self) -> bool:
        """Whether this was a look at the clinic's access report, of no one patient."""
        return self.patient_id == CLINIC_LEVEL_PATIENT


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessReport:
    clinic_id: str
    patient_id: str | None
    token_name: str | None
    outcome: str | None = None
    """``allowed`` or ``denied`` when only those were asked for."""
    excluded_reader: str | None = None
    """The token whose reads were left out (an officer hiding their own)."""
    lines: tuple[AccessLine, ...]

    @property
    def readers(self) -> dict[str, int]:
        """Token name -> reads, most active first."""
        return dict(Counter(line.token_name for line in self.lines).most_common())

    @property
    def patients(self) -> dict[str, int]:
        """Patient -> reads, most read first; clinic-level looks read no patient."""
        return dict(
            Counter(line.patient_id for line in self.lines if not line.clinic_level).most_common()
        )


def build_access_report(
    events: Iterable[Recorded],
    *,
    clinic_id: str,
    patient_id: str | None = None,
    token_name: str | None = None,
    outcome: str | None = None,
    excluded_reader: str | None = None,
) -> AccessReport:
    """Reads of ``clinic_id``'s data, newest first; optionally only of one patient, by one
    token or with one outcome, or without one token's reads."""
    lines = [
        AccessLine(
            event_id=recorded.event_id,
            occurred_at=event.occurred_at,
            recorded_at=recorded.recorded_at,
            token_name=event.payload.token_name,
            role=event.payload.role.value,
            channel=event.payload.channel.value,
            resource=event.payload.resource,
            query=dict(event.payload.query),
            outcome=event.payload.outcome.value,
            patient_id=event.patient_id,
            session_id=event.session_id,
        )
        for recorded in events
        if isinstance(event := recorded.event, AccessRecorded)
        and event.clinic_id == clinic_id
        and (patient_id is None or event.patient_id == patient_id)
        and (token_name is None or event.payload.token_name == token_name)
        and (outcome is None or event.payload.outcome.value == outcome)
        and (excluded_reader is None or event.payload.token_name != excluded_reader)
    ]
    lines.sort(key=lambda line: (line.occurred_at, line.event_id), reverse=True)
    return AccessReport(
        clinic_id=clinic_id,
        patient_id=patient_id,
        token_name=token_name,
        outcome=outcome,
        excluded_reader=excluded_reader,
        lines=tuple(lines),
    )
