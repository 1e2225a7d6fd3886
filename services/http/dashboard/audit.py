"""Every page that shows patient data is accounted for before it is rendered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from fastapi import Request, status

from events import AccessChannel, AccessOutcome
from services.auth import Principal
from services.http.api.availability import BROKER_TIMEOUT_SECONDS
from services.http.context import HttpContext
from services.http.dashboard.pages import PageError

__all__ = ["record_refusal", "record_view"]

_log = logging.getLogger("kapaudit.dashboard")


async def record_view(
    request: Request,
    context: HttpContext,
    *,
    principal: Principal,
    clinic_id: str,
    patient_ids: Iterable[str],
    session_id: str | None = None,
    within: float = BROKER_TIMEOUT_SECONDS,
) -> None:
    """Publish one ``access.recorded`` per patient shown; refuse the page (503) if we cannot
    within ``within`` seconds, as the API does.

    No unaccounted look at a record: a page whose read cannot be audited is not shown.
    """
    shown = sorted(set(patient_ids))
    if not shown:
        return
    try:
        # aiokafka retries an unreachable broker far longer than anyone waits for a page.
        async with asyncio.timeout(within):
            await context.auditor.record(
                principal=principal,
                channel=AccessChannel.DASHBOARD,
                resource=request.url.path,
                query=_asked(request),
                outcome=AccessOutcome.ALLOWED,
                clinic_id=clinic_id,
                patient_ids=shown,
                session_id=session_id,
            )
    except Exception:
        _log.exception("could not record a dashboard read of %s", request.url.path)
        raise PageError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "This page cannot be shown right now",
            "The read could not be written to the audit log, so the page is withheld. "
            "Try again in a moment.",
            principal=principal,
        ) from None


def record_refusal(
    request: Request,
    context: HttpContext,
    *,
    principal: Principal,
    clinic_id: str,
    patient_id: str,
    session_id: str,
) -> None:
    """Record, in the background, that ``principal`` was refused an existing session's page.

    The refusal page goes out at once, as it does for a session that does not exist.
    """
    context.auditor.record_denial(
        principal=principal,
        channel=AccessChannel.DASHBOARD,
        resource=request.url.path,
        query=_asked(request),
        clinic_id=clinic_id,
        patient_id=patient_id,
        session_id=session_id,
        within=BROKER_TIMEOUT_SECONDS,
    )


def _asked(request: Request) -> dict[str, str]:
    # Empty form fields (``?status=``) asked for nothing; the contract wants values.
    return {key: value for key, value in request.query_params.items() if value}
