"""Liveness, readiness and metrics, without authentication (orchestrators, load balancers
and scrapers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from services.http.deps import Context

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The broker and the database are reachable")
async def readyz(context: Context) -> JSONResponse:
    checks = {"database": await context.database_ready(), "broker": await context.broker_ready()}
    ready = all(checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not ready", "checks": checks},
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(context: Context) -> Response:
    """Prometheus text format. Unauthenticated, like the probes: it holds counts by
    reason, route template and partition, never an id or anything from an event."""
    body, content_type = context.metrics.exposition()
    return Response(content=body, media_type=content_type)
