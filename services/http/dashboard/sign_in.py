"""Signing in with a pasted token (kept in an HttpOnly cookie) and signing out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from services.http.dashboard.pages import PageError, PageRoute, render
from services.http.deps import COOKIE, Context

__all__ = ["router", "safe_next"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NextPage = Annotated[str, Query(alias="next")]


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/overview"


def _refuse_cross_site(request: Request) -> None:
    """403 for a sign-in or sign-out posted by another site's page.

    SameSite stops the cookie from being *sent* cross-site, not from being *set*: without
    this, another site could sign a visitor in with the attacker's token (login CSRF), so
    the visitor's reading would be filed under the attacker's name. Browsers say where a
    request comes from in ``Sec-Fetch-Site`` and ``Origin``; a request naming neither
    (curl, old browsers) is let through, since it cannot carry a victim's session anyway.
    """
    fetch_site = request.headers.get("sec-fetch-site", "")
    origin = request.headers.get("origin", "")
    cross_site = fetch_site == "cross-site" or (
        origin not in ("", "null") and urlsplit(origin).netloc != request.headers.get("host", "")
    )
    if cross_site or origin == "null":
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "Sign in from this site",
            "This form was sent from another site, so it was ignored. Open the dashboard "
            "and sign in there.",
            principal=None,
        )


@router.get("/")
async def home(request: Request, context: Context) -> Response:
    token = request.cookies.get(COOKIE, "")
    signed_in = bool(token) and await context.tokens.authenticate(token) is not None
    return RedirectResponse(
        "/overview" if signed_in else "/sign-in", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/sign-in")
async def sign_in_form(request: Request, next_page: NextPage = "") -> Response:
    return render(request, "sign_in.html", {"title": "Sign in", "error": None, "next": next_page})


@router.post("/sign-in")
async def sign_in(
    request: Request,
    context: Context,
    token: Annotated[str, Form()] = "",
    next_page: Annotated[str, Form(alias="next")] = "",
) -> Response:
    _refuse_cross_site(request)
    principal = await context.tokens.authenticate(token.strip()) if token.strip() else None
    if principal is None:
        return render(
            request,
            "sign_in.html",
            {
                "title": "Sign in",
                "error": "That token is not valid: it is unknown or has been revoked.",
                "next": next_page,
            },
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    response = RedirectResponse(safe_next(next_page), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        path="/",
        # Secure whenever the page came over HTTPS; plain HTTP on localhost must still work.
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    _refuse_cross_site(request)
    response = RedirectResponse("/sign-in", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
