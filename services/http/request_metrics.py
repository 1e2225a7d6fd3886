"""Counts every HTTP request by method, route template and status, for ``/metrics``."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.metrics import Metrics

__all__ = ["UNMATCHED", "RequestMetrics", "route_template"]

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
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - started,
            )


def route_template(scope: Scope) -> str:
    """The matched route's full template, from the route the router wrote into ``scope``.

    FastAPI (0.165 on) nests included routers instead of copying their routes, so the
    route's own ``path`` lacks the routers' prefixes (``/v1``). The prefix is the part of
    the request path before the suffix that the route's pattern matches; kapaudit's
    prefixes are literal, so no id can slip into the label through it.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(template, str) or pattern is None:
        return UNMATCHED
    path = str(scope.get("path", ""))
    for cut, character in enumerate(path):
        if character == "/" and pattern.fullmatch(path[cut:]):
            return path[:cut] + template
    return template
