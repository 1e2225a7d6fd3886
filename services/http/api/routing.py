"""How API routes answer: one 422 shape for every invalid request, never cached."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from fastapi import Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from services.http.api.problems import InvalidRequest, Problem

__all__ = ["ApiRoute", "invalid_response"]


class ApiRoute(APIRoute):
    """A route whose invalid requests answer ``{"errors": [{index, path, message}]}``.

    A route class rather than an app-wide exception handler, so that the dashboard's
    pages keep their own error handling.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except RequestValidationError as invalid:
                response = invalid_response(_from_fastapi(invalid.errors()))
            except InvalidRequest as invalid:
                response = invalid_response(invalid.problems)
            # Answers carry patient data: no browser or proxy may keep a copy.
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return answer


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
        for error in errors
    ]
