"""``GET /v1/log/verify``: re-compute every hash chain of the log."""

from __future__ import annotations

from fastapi import APIRouter

from services.http.api.guards import not_permitted
from services.http.api.models import BrokenLinkOut, LogVerification, error_responses
from services.http.api.routing import ApiRoute
from services.http.deps import Context, CurrentPrincipal
from services.verification import verify_log

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["log"])


@router.get(
    "/log/verify",
    summary="Re-compute every hash chain and report each broken link",
    response_model=LogVerification,
    responses=error_responses(401, 403, 503),
)
async def verify(principal: CurrentPrincipal, context: Context) -> LogVerification:
    """The whole log is checked. A stream id names its clinic and, for patient streams,
    the patient, so broken links of clinics the token does not cover are only counted."""
    if not principal.may_verify:
        raise not_permitted()
    report = await verify_log(context.store.rows_by_stream())
    shown = [link for link in report.broken if principal.covers(link.stream_id.partition("/")[0])]
    return LogVerification(
        intact=report.intact,
        events=report.events,
        streams=report.streams,
        broken=[
            BrokenLinkOut(
                stream_id=link.stream_id,
                sequence=link.sequence,
                position=link.position,
                event_id=link.event_id,
                problem=link.problem.value,
                detail=link.detail,
            )
            for link in shown
        ],
        broken_elsewhere=len(report.broken) - len(shown),
    )
