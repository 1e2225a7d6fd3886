"""``GET /v1/log/verify``: re-compute every hash chain of the log."""

from __future__ import annotations

import time

from fastapi import APIRouter

from services.http.api.guards import not_permitted
from services.http.api.models import BrokenLinkOut, LogVerification, TreeFindingOut, error_responses
from services.http.api.routing import ApiRoute
from services.http.deps import Context, CurrentPrincipal
from services.http.limits import charge_expensive
from services.verification import VerificationReport, count_verification, verify_store

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["log"])


@router.get(
    "/log/verify",
    summary="Re-compute every hash chain and the Merkle tree, check session owners and the "
    "newest checkpoint, report each problem (admin)",
    response_model=LogVerification,
    responses=error_responses(401, 403, 503),
)
async def verify(principal: CurrentPrincipal, context: Context) -> LogVerification:
    """The whole log is re-hashed, every event, so that an edit anywhere is found; that is
    seconds of CPU for a large log. Only an admin token may ask, and requests arriving
    while a check runs get that check's result instead of starting another."""
    if not principal.may_verify:
        raise not_permitted()
    charge_expensive(context, principal)

    async def run() -> VerificationReport:
        report = await verify_store(
            context.store, verifiers=context.trusted_keys, origin=context.log_origin
        )
        # Once per run, not per request sharing it: the figure counts checks made.
        count_verification(report, context.metrics, at=time.time())
        return report

    report = await context.verification(run)
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
        checkpoint_size=None if report.checkpoint is None else report.checkpoint.size,
        tree=[TreeFindingOut(problem=f.problem.value, detail=f.detail) for f in report.tree],
    )
