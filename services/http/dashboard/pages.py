"""How dashboard pages answer: HTML for every outcome, redirects to sign-in, safe headers.

Every dashboard route uses ``PageRoute``, so a page refusal (``PageError``), a missing
sign-in (the 401 of ``get_principal``) or a malformed query string becomes an HTML page or
a redirect here, without touching the JSON API's error handling.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from services.auth import Principal
from services.http.dashboard.templating import TEMPLATES
from services.http.deps import COOKIE
from services.http.outage import RETRY_AFTER_SECONDS, is_database_outage, log_outage

__all__ = ["SECURITY_HEADERS", "PageError", "PageRoute", "render", "sign_in_redirect"]

SECURITY_HEADERS: Mapping[str, str] = {
    # Pages carry patient data: no shared or back-button cache may keep them.
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class PageError(Exception):
    """A page that cannot be shown; rendered as an error page with ``status_code``."""

    def __init__(
        self, status_code: int, title: str, message: str, *, principal: Principal | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message
        self.principal = principal


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    return TEMPLATES.TemplateResponse(
        request, template, {"principal": None, **context}, status_code=status_code
    )


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in form, remembering the page asked for (always a local path)."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if wanted in ("/", "/overview"):
        return RedirectResponse("/sign-in", status_code=status.HTTP_303_SEE_OTHER)
    target = f"/sign-in?next={quote(wanted, safe='')}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


class PageRoute(APIRoute):
    """An API route whose failures are pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as error:
                if error.status_code != status.HTTP_401_UNAUTHORIZED:
                    raise
                response = sign_in_redirect(request)
                # A revoked or mistyped token must not keep bouncing between pages.
                response.delete_cookie(COOKIE, path="/")
            except PageError as error:
                response = _error_page(request, error)
            except RequestValidationError as invalid:
                response = _error_page(
                    request,
                    PageError(
                        status.HTTP_400_BAD_REQUEST,
                        "This address is not valid",
                        "; ".join(_describe(problem) for problem in invalid.errors()),
                    ),
                )
            except Exception as error:
                # The sign-in check and every page read the database: an outage is a
                # page asking to retry, as the API's 503, not a bare 500.
                if not is_database_outage(error):
                    raise
                log_outage(error, path=request.url.path)
                response = _error_page(
                    request,
                    PageError(
                        status.HTTP_503_SERVICE_UNAVAILABLE,
                        "The database is unavailable",
                        "kapaudit cannot reach its database just now, so nothing can be "
                        f"shown. Try again in {RETRY_AFTER_SECONDS} seconds.",
                    ),
                )
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            response.headers.update(SECURITY_HEADERS)
            return response

        return page


def _error_page(request: Request, error: PageError) -> Response:
    return render(
        request,
        "error.html",
        {"principal": error.principal, "title": error.title, "message": error.message},
        status_code=error.status_code,
    )


def _describe(problem: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "query")
    return f"{where}: {problem.get('msg', 'invalid')}"
