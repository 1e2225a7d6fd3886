"""The audited reads (``services.reading``) of one request, for the API and the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.http.availability import BrokerTimeout
from services.http.deps import Context
from services.reading import AuditedReads

__all__ = ["Reads", "get_audited_reads"]


def get_audited_reads(context: Context, broker_wait: BrokerTimeout) -> AuditedReads:
    """Built per request: the deadline is the request's broker wait, which tests shorten."""
    return AuditedReads(
        access_log=context.auditor,
        session_owners=context.queries.clinic_and_patient_of,
        deadline=broker_wait,
    )


Reads = Annotated[AuditedReads, Depends(get_audited_reads)]
