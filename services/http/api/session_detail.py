"""One session: its timeline and its compliance verdict, as of any instant."""

from __future__ import annotations

from fastapi import APIRouter

from services.bodies.sessions import SessionCompliance
from services.bodies.timeline import SessionTimeline
from services.http.api.auditing import AuditedRead
from services.http.api.models import error_responses
from services.http.api.params import AsOf, SessionIdPath
from services.http.api.routing import ApiRoute
from services.http.deps import Context

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["sessions"])

_ERRORS = error_responses(401, 403, 404, 422, 503)


@router.get(
    "/sessions/{session_id}/timeline",
    summary="Every event of the session in clinical order, corrections beside originals",
    response_model=SessionTimeline,
    responses={200: {"description": "The timeline as it stood at `as_of`."}, **_ERRORS},
)
async def session_timeline(
    session_id: SessionIdPath,
    as_of: AsOf,
    reads: AuditedRead,
    context: Context,
) -> SessionTimeline:
    """The timeline as it stood at ``as_of``: only events recorded by then."""
    timeline = await reads.session(
        session_id,
        load=lambda owner: context.queries.timeline(
            session_id, as_of=as_of.at(context.zones.for_clinic(owner.clinic_id))
        ),
    )
    return SessionTimeline.from_read_model(timeline)


@router.get(
    "/sessions/{session_id}/compliance",
    summary="The session's verdict, rule by rule, with evidence",
    response_model=SessionCompliance,
    responses=_ERRORS,
)
async def session_compliance(
    session_id: SessionIdPath,
    as_of: AsOf,
    reads: AuditedRead,
    context: Context,
) -> SessionCompliance:
    """Judged on the events recorded by ``as_of``, with deadlines judged at ``as_of``."""
    verdict = await reads.session(
        session_id,
        load=lambda owner: context.queries.verdict(
            session_id, as_of=as_of.at(context.zones.for_clinic(owner.clinic_id))
        ),
    )
    return SessionCompliance.of(verdict)
