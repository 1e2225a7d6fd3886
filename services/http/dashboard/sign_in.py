"""Signing in with a pasted token (kept in an HttpOnly cookie) and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from services.auth import Principal, Role
from services.http.dashboard.cross_site import refuse_cross_site
from services.http.dashboard.pages import PageRoute, render
from services.http.deps import COOKIE, Context

__all__ = ["landing", "router", "safe_next"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NextPage = Annotated[str, Query(alias="next")]


def landing(principal: Principal) -> str:
    """The first page of a role: a regulator cannot read sessions, only export them."""
    return "/exports" if principal.role is Role.REGULATOR else "/overview"


def safe_next(target: str, *, default: str = "/overview") -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@router.get("/")
async def home(request: Request, context: Context) -> Response:
    token = request.cookies.get(COOKIE, "")
    principal = await context.tokens.authenticate(token) if token else None
    return RedirectResponse(
        "/sign-in" if principal is None else landing(principal),
        status_code=status.HTTP_303_SEE_OTHER,
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
    refuse_cross_site(request)
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
    response = RedirectResponse(
        safe_next(next_page, default=landing(principal)), status_code=status.HTTP_303_SEE_OTHER
    )
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
    refuse_cross_site(request)
    response = RedirectResponse("/sign-in", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
