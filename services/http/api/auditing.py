"""Recording reads of patient data as ``access.recorded`` events, before answering."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from events import AccessChannel, AccessOutcome
from services.auth import Principal
from services.http.api.availability import BrokerTimeout, acknowledged
from services.http.context import HttpContext
from services.http.deps import Context, CurrentPrincipal

__all__ = ["AuditedRead", "ReadAudit", "get_read_audit"]

_UNRECORDED = "the read could not be recorded in the access log, so nothing is shown; retry later"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadAudit:
    """The access log for one request: who asks, for what, with which query."""

    principal: Principal
    context: HttpContext
    resource: str
    query: dict[str, str]
    broker_wait: float

    async def allowed(
        self, *, clinic_id: str, patient_ids: Iterable[str], session_id: str | None = None
    ) -> None:
        """Record that the answer shows these patients' data; 503 when it cannot be recorded.

        Fail closed: a read that cannot be accounted for is not served.
        """
        patients = sorted(set(patient_ids))
        if not patients:
            # Nothing about any patient is in the answer (an empty page, counts only).
            return
        await acknowledged(
            self._record(
                outcome=AccessOutcome.ALLOWED,
                clinic_id=clinic_id,
                patient_ids=patients,
                session_id=session_id,
            ),
            within=self.broker_wait,
            refusal=_UNRECORDED,
        )

    def denied(self, *, clinic_id: str, patient_id: str, session_id: str) -> None:
        """Record, after the 403 is sent, a refused read of an existing session."""
        self.context.auditor.record_denial(
            principal=self.principal,
            channel=AccessChannel.API,
            resource=self.resource,
            query=self.query,
            clinic_id=clinic_id,
            patient_id=patient_id,
            session_id=session_id,
            within=self.broker_wait,
        )

    async def _record(
        self,
        *,
        outcome: AccessOutcome,
        clinic_id: str,
        patient_ids: list[str],
        session_id: str | None,
    ) -> None:
        await self.context.auditor.record(
            principal=self.principal,
            channel=AccessChannel.API,
            resource=self.resource,
            query=self.query,
            outcome=outcome,
            clinic_id=clinic_id,
            patient_ids=patient_ids,
            session_id=session_id,
        )


def get_read_audit(
    request: Request, principal: CurrentPrincipal, context: Context, broker_wait: BrokerTimeout
) -> ReadAudit:
    return ReadAudit(
        principal=principal,
        context=context,
        resource=f"GET {request.url.path}",
        query=dict(request.query_params.items()),
        broker_wait=broker_wait,
    )


AuditedRead = Annotated[ReadAudit, Depends(get_read_audit)]
