"""The access report's rows: one per look at the data, not one per patient disclosed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from projections.access import AccessLine

__all__ = ["Read", "group_reads"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Read:
    """One look at the data: the ``access.recorded`` events of a single page or API call."""

    occurred_at: datetime
    token_name: str
    role: str
    channel: str
    resource: str
    query: str
    """The query string the reader gave, e.g. ``status=non_compliant``."""
    outcome: str
    session_id: str | None
    patient_ids: tuple[str, ...]
    """The patients whose data it showed; none for a look at the access report itself."""


def group_reads(lines: Iterable[AccessLine]) -> list[Read]:
    """Fold the per-patient lines of each read back into one row, keeping the given order.

    The auditor writes one event per patient disclosed, so an overview of 24 sessions is 24
    lines; a reader of the report wants to see it as the one look it was. A look at the
    access report is already one clinic-level line, of no patient.
    """
    reads: list[Read] = []
    for line in lines:
        read = Read(
            occurred_at=line.occurred_at,
            token_name=line.token_name,
            role=line.role,
            channel=line.channel,
            resource=line.resource,
            query=urlencode(sorted(line.query.items())),
            outcome=line.outcome,
            session_id=line.session_id,
            patient_ids=() if line.clinic_level else (line.patient_id,),
        )
        # The lines of one read share its instant and every field but the patient; the
        # report's order (by instant) keeps them next to each other. A clinic-level look is
        # one line already, and never takes a patient's.
        if (
            read.patient_ids
            and reads
            and reads[-1].patient_ids
            and replace(reads[-1], patient_ids=read.patient_ids) == read
        ):
            reads[-1] = replace(reads[-1], patient_ids=(*reads[-1].patient_ids, line.patient_id))
        else:
            reads.append(read)
    return reads
