"""The v1 HTTP API: publishing events, sessions, clinic reports, exports and the log.

Every read of patient data is recorded as an ``access.recorded`` event before it is
answered; every refusal (401, 403) says nothing about whether the resource exists.
"""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPBearer

from services.http.api import (
    clinics,
    exports,
    log_proofs,
    profiles,
    publishing,
    session_detail,
    sessions,
    verification,
)
from services.http.api.models import error_responses
from services.http.limits import rate_limited

__all__ = ["router", "with_components"]

# Authentication itself is ``CurrentPrincipal``'s; this only declares the bearer scheme
# in the OpenAPI document, so that /docs offers to send a token.
_bearer = HTTPBearer(auto_error=False, description="An API token from `kapaudit tokens create`.")

router = APIRouter(
    prefix="/v1",
    dependencies=[Depends(_bearer), Depends(rate_limited)],
    # Every call spends from its token's bucket (services.http.limits).
    responses=error_responses(429),
)
for _part in (
    publishing,
    sessions,
    session_detail,
    clinics,
    exports,
    verification,
    log_proofs,
    profiles,
):
    router.include_router(_part.router)


def with_components(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (the app's OpenAPI) with the schemas the v1 routes reference that
    FastAPI does not know of: the event contract's, which ``POST /v1/events`` validates
    with ``events.parse_event`` rather than through FastAPI."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in publishing.EVENT_SCHEMAS.items():
        # The same enums (Protocol, Medication, ...) are in response bodies too.
        if components.setdefault(name, schema) != schema:
            raise ValueError(f"two different OpenAPI schemas are named {name}")
    return document
