"""``GET /v1/sessions``: a clinic's sessions in a period, with their status as of now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query

from events import Protocol
from projections import SessionHistory
from projections.compliance import SessionStatus
from services.bodies.common import PeriodOut
from services.bodies.sessions import SessionPage, SessionSummary
from services.http.api.auditing import AuditedRead
from services.http.api.models import NO_SUCH_CLINIC, error_responses
from services.http.api.params import ClinicIdQuery, PatientIdQuery, RequestedPeriod
from services.http.api.routing import ApiRoute
from services.http.deps import Context
from services.judging import JudgedSession, judge
from services.period import Period

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["sessions"])


@dataclass(frozen=True, slots=True, kw_only=True)
class _Listed:
    page: list[JudgedSession]
    total: int


@router.get(
    "/sessions",
    summary="A clinic's sessions starting in a period, by start",
    response_model=SessionPage,
    responses=error_responses(401, 403, 404, 422, 503, descriptions=NO_SUCH_CLINIC),
)
async def list_sessions(
    reads: AuditedRead,
    context: Context,
    clinic_id: ClinicIdQuery,
    period: RequestedPeriod,
    status: Annotated[SessionStatus | None, Query(description="Only sessions now in it.")] = None,
    protocol: Annotated[Protocol | None, Query(description="Only this protocol.")] = None,
    patient_id: PatientIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SessionPage:
    """The status and failed rules are the verdict as of now; the period selects sessions
    by their booked start (their first event when never booked)."""

    async def load(chosen: Period) -> _Listed:
        now = context.clock.now()
        histories = [
            history
            for history in await context.queries.sessions(
                clinic_id, start=chosen.start, end=chosen.end
            )
            if _matches(history.as_of(now), protocol=protocol, patient_id=patient_id)
        ]
        if status is None:
            # Without a status filter only the page needs judging.
            page = await judge(context.queries, histories[offset : offset + limit], as_of=now)
            return _Listed(page=page, total=len(histories))
        judged = [
            item
            for item in await judge(context.queries, histories, as_of=now)
            if item.verdict.status is status
        ]
        return _Listed(page=judged[offset : offset + limit], total=len(judged))

    def disclosed(listed: _Listed) -> list[str]:
        shown = [i.verdict.patient_id for i in listed.page]
        if patient_id is not None and listed.total:
            # The count alone says whether this patient had sessions (of this status): a
            # disclosure about them even when the page is empty.
            shown.append(patient_id)
        return shown

    listed = await reads.clinic(clinic_id, period=period, load=load, disclosed=disclosed)
    page, total = listed.page, listed.total
    return SessionPage(
        period=PeriodOut.of(period),
        items=[_summary(item) for item in page],
        total=total,
        limit=limit,
        offset=offset,
    )


def _matches(history: SessionHistory, *, protocol: Protocol | None, patient_id: str | None) -> bool:
    # A session none of whose events was recorded yet does not exist as of now.
    return (
        bool(history.events)
        and (protocol is None or history.protocol is protocol)
        and (patient_id is None or history.patient_id == patient_id)
    )


def _summary(item: JudgedSession) -> SessionSummary:
    return SessionSummary.of(item.verdict, session_start=item.session_start)
