"""One session: its timeline and its compliance verdict, as of any instant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.auth import Principal
from services.http.api.auditing import AuditedRead, ReadAudit
from services.http.api.guards import missing_session, not_permitted
from services.http.api.models import RuleOutcome, SessionCompliance, error_responses
from services.http.api.params import AsOf, SessionIdPath, storable_identifier
from services.http.api.routing import ApiRoute
from services.http.api.timeline_models import SessionTimeline
from services.http.context import HttpContext
from services.http.deps import Context, CurrentPrincipal
from services.jsonable import jsonable
from services.queries import SessionNotFoundError

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["sessions"])

_ERRORS = error_responses(401, 403, 404, 422, 503)


class _OfOneSession(Protocol):
    @property
    def session_id(self) -> str: ...
    @property
    def clinic_id(self) -> str: ...
    @property
    def patient_id(self) -> str: ...


_Answer = TypeVar("_Answer", bound=_OfOneSession)


@router.get(
    "/sessions/{session_id}/timeline",
    summary="Every event of the session in clinical order, corrections beside originals",
    responses={
        200: {"model": SessionTimeline, "description": "The timeline as it stood at `as_of`."},
        **_ERRORS,
    },
)
async def session_timeline(
    session_id: SessionIdPath,
    as_of: AsOf,
    principal: CurrentPrincipal,
    audit: AuditedRead,
    context: Context,
) -> JSONResponse:
    """The timeline as it stood at ``as_of``: only events recorded by then."""
    timeline = await _readable(
        session_id,
        principal=principal,
        audit=audit,
        context=context,
        load=lambda: context.queries.timeline(session_id, as_of=as_of),
    )
    return JSONResponse(jsonable(timeline))


@router.get(
    "/sessions/{session_id}/compliance",
    summary="The session's verdict, rule by rule, with evidence",
    response_model=SessionCompliance,
    responses=_ERRORS,
)
async def session_compliance(
    session_id: SessionIdPath,
    as_of: AsOf,
    principal: CurrentPrincipal,
    audit: AuditedRead,
    context: Context,
) -> SessionCompliance:
    """Judged on the events recorded by ``as_of``, with deadlines judged at ``as_of``."""
    verdict = await _readable(
        session_id,
        principal=principal,
        audit=audit,
        context=context,
        load=lambda: context.queries.verdict(session_id, as_of=as_of),
    )
    return SessionCompliance(
        session_id=verdict.session_id,
        clinic_id=verdict.clinic_id,
        patient_id=verdict.patient_id,
        protocol=verdict.protocol,
        status=verdict.status,
        as_of=verdict.as_of,
        rules=[
            RuleOutcome(
                rule_id=r.rule_id, outcome=r.outcome, evidence=list(r.evidence), detail=r.detail
            )
            for r in verdict.rules
        ],
    )


async def _readable(
    session_id: str,
    *,
    principal: Principal,
    audit: ReadAudit,
    context: HttpContext,
    load: Callable[[], Awaitable[_Answer]],
) -> _Answer:
    """The answer about ``session_id`` when the token may see it, its read recorded first.

    Only the session's clinic is looked up before the token's clinics are checked (one
    indexed row): refusing another clinic's session then costs what refusing a missing
    one does, so response times do not tell which sessions exist.
    """
    if not storable_identifier(session_id):
        raise missing_session(principal)
    owner = await context.queries.clinic_and_patient_of(session_id)
    if owner is None:
        raise missing_session(principal)
    clinic_id, patient_id = owner
    if not principal.may_read(clinic_id):
        audit.denied(clinic_id=clinic_id, patient_id=patient_id, session_id=session_id)
        raise not_permitted()
    try:
        answer = await load()
    except SessionNotFoundError:
        raise missing_session(principal) from None
    await audit.allowed(
        clinic_id=answer.clinic_id, patient_ids=[answer.patient_id], session_id=session_id
    )
    return answer
