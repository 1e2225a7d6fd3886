"""The API's rate limits as request dependencies: 429 with ``Retry-After`` once a token has
spent its bucket (``services.rate_limits``)."""

from __future__ import annotations

from fastapi import HTTPException, status

from services.auth import Principal
from services.http.context import HttpContext
from services.http.deps import Context, CurrentPrincipal
from services.rate_limits import RateLimited, RateLimiter

__all__ = ["charge_expensive", "rate_limited"]


def _spend(limiter: RateLimiter | None, principal: Principal) -> None:
    if limiter is None:
        return
    try:
        limiter.take(str(principal.token_id))
    except RateLimited as refused:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(refused),
            headers={"Retry-After": str(refused.retry_after)},
        ) from None


async def rate_limited(principal: CurrentPrincipal, context: Context) -> None:
    """Every /v1 call spends one from its token's bucket."""
    _spend(context.limits.requests if context.limits else None, principal)


def charge_expensive(context: HttpContext, principal: Principal) -> None:
    """A costly call, once it is known to be permitted (a refusal costs the server
    nothing, so it spends nothing)."""
    _spend(context.limits.expensive if context.limits else None, principal)
