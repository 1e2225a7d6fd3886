"""Request dependencies: the wired context and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.auth import Principal
from services.http.context import HttpContext

__all__ = ["COOKIE", "Context", "CurrentPrincipal", "get_context", "get_principal"]

COOKIE = "kapaudit_token"
"""The dashboard keeps the token in this HttpOnly, SameSite=Strict cookie."""


def get_context(request: Request) -> HttpContext:
    context: HttpContext = request.app.state.context
    return context


Context = Annotated[HttpContext, Depends(get_context)]


async def get_principal(request: Request, context: Context) -> Principal:
    """The token holder, from ``Authorization: Bearer`` or the dashboard cookie; else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        token = request.cookies.get(COOKIE, "")
    principal = await context.tokens.authenticate(token.strip()) if token.strip() else None
    if principal is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
