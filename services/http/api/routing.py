"""How API routes answer: one 422 shape for every invalid request, a 503 while the
database is down, never cached."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.http.api.problems import InvalidRequest, Problem
from services.http.deps import get_context, get_principal
from services.http.outage import RETRY_AFTER_SECONDS, is_database_outage, log_outage

__all__ = ["DATABASE_UNAVAILABLE", "ApiRoute", "invalid_response"]

DATABASE_UNAVAILABLE = "the database is unavailable; nothing is shown. Retry later."
_UNREADABLE = "the body cannot be read: send JSON in UTF-8"


class ApiRoute(APIRoute):
    """A route whose invalid requests answer ``{"errors": [{index, path, message}]}``.

    A route class rather than an app-wide exception handler, so that the dashboard's
    pages keep their own error handling.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                try:
                    response = await handler(request)
                except RequestValidationError as invalid:
                    # FastAPI reads a declared JSON body before any dependency runs, so a
                    # malformed body would otherwise be answered 422 to a caller without a
                    # token: authentication comes first, whatever is wrong with the request.
                    response = await _unauthorized(request) or invalid_response(
                        _from_fastapi(invalid.errors())
                    )
                except InvalidRequest as invalid:
                    response = invalid_response(invalid.problems)
                except StarletteHTTPException as error:
                    # FastAPI's own answer to a body it cannot read (not UTF-8): an invalid
                    # request like any other, and not before the token is checked.
                    if error.status_code != status.HTTP_400_BAD_REQUEST:
                        raise
                    response = await _unauthorized(request) or invalid_response(
                        [Problem(index=None, path="(root)", message=_UNREADABLE)]
                    )
            except Exception as error:
                # Here rather than in each handler: the token lookup and every read go to
                # the database, and an outage is the same answer for all of them.
                if not is_database_outage(error):
                    raise
                log_outage(error, path=request.url.path)
                response = JSONResponse(
                    status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                    content={"detail": DATABASE_UNAVAILABLE},
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            # Answers carry patient data: no browser or proxy may keep a copy.
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return answer


async def _unauthorized(request: Request) -> Response | None:
    """The 401 a request without a live token gets, None when its token is live."""
    try:
        await get_principal(request, get_context(request))
    except HTTPException as refused:
        return JSONResponse(
            status_code=refused.status_code,
            content={"detail": refused.detail},
            headers=refused.headers,
        )
    return None


def invalid_response(problems: Sequence[Problem]) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={
            "errors": [{"index": p.index, "path": p.path, "message": p.message} for p in problems]
        },
    )


def _from_fastapi(errors: Iterable[Any]) -> list[Problem]:
    # FastAPI locates a problem as ("query", "limit"); the parameter's name is what counts.
    return [
        Problem(
            index=None,
            path=".".join(str(part) for part in error.get("loc", ())[1:]) or "(root)",
            message=str(error.get("msg", "invalid")),
        )
        if error.get("type") != "json_invalid"
        # Located by its character offset, which is no field of the request.
        else Problem(
            index=None,
            path="(root)",
            message=f"Invalid JSON: {error.get('ctx', {}).get('error', 'cannot be read')}",
        )
        for error in errors
    ]
