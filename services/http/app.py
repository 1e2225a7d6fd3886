"""The FastAPI application factory."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.http import api, dashboard, ops
from services.http.context import HttpContext
from services.http.request_metrics import RequestMetrics

__all__ = ["create_app"]


class _App(FastAPI):
    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = api.with_components(super().openapi())
        return self.openapi_schema


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
    app.add_middleware(RequestMetrics, metrics=context.metrics)
    return app
