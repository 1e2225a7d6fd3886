"""The FastAPI application factory."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any, Final

from fastapi import FastAPI, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from services.http import api, dashboard, ops
from services.http.context import HttpContext
from services.http.request_metrics import RequestMetrics

__all__ = ["create_app"]


class _App(FastAPI):
    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = api.with_components(super().openapi())
        return self.openapi_schema


_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """405 naming every method the path allows, not only the first route's.

    Starlette answers from the first route whose path matches, so ``OPTIONS /v1/exports``
    said ``Allow: POST`` although ``GET`` is served there too.
    """
    assert isinstance(exc, StarletteHTTPException)
    response = await http_exception_handler(request, exc)
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        # Asked of every route, since included routers nest theirs.
        allowed = {
            method
            for method in _METHODS
            if any(
                route.matches({**request.scope, "method": method})[0] is Match.FULL
                for route in request.app.router.routes
                if isinstance(route, BaseRoute)
            )
        }
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


def create_app(context: HttpContext) -> FastAPI:
    """The app with every router; ``context`` carries the wired ports."""
    app = _App(
        title="kapaudit",
        version=version("kapaudit"),
        description=(
            "The audit trail of ketamine-assisted psychotherapy clinics: publish session "
            "events, read timelines and compliance verdicts. Every read of patient data "
            "is itself recorded."
        ),
    )
    app.state.context = context
    app.include_router(ops.router)
    app.include_router(api.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")
    app.add_exception_handler(StarletteHTTPException, _method_not_allowed)
    app.add_middleware(RequestMetrics, metrics=context.metrics)
    return app
