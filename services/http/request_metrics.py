"""Counts every HTTP request by method, route template and status, for ``/metrics``."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.metrics import Metrics

__all__ = ["RequestMetrics"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"
"""The route label of requests no route took: their paths are the client's to choose, and
each would be a series of its own."""


class RequestMetrics:
    """Plain ASGI middleware (not ``BaseHTTPMiddleware``, which buffers streamed bodies
    such as export downloads). The label is the route's template, ``/v1/sessions/{id}``,
    never the path: ids in paths would be unbounded labels and pseudonymous data."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            method = str(scope.get("method", "")).upper()
            self._metrics.http_request(
                method=method if method in _METHODS else "other",
                # The router writes the matched route into this same scope dict.
                route=str(getattr(scope.get("route"), "path", None) or UNMATCHED),
                status=status,
                seconds=time.perf_counter() - started,
            )
