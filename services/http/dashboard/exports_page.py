"""``/exports``: a regulator requests export bundles, follows them and downloads them.

Regulators land here (they may export, not read sessions); admins see every export.
Compliance officers and publishers are refused the page: an export is what a clinic
hands a regulator, and officers read the same records through the reports. The page
refreshes itself (``<meta http-equiv="refresh">``) while an export is under way, since
the dashboard runs no JavaScript; the download is ``GET /v1/exports/{id}/bundle``.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import RedirectResponse

from events import AccessChannel
from services.auth import Principal, Role
from services.exporting.ports import ExportStatus, Requester
from services.exporting.queue import ExportQueue
from services.exporting.service import ExportError
from services.exporting.visibility import visible_to
from services.http.context import HttpContext
from services.http.dashboard.cross_site import refuse_cross_site
from services.http.dashboard.pages import PageError, PageRoute, render
from services.http.dashboard.scope import (
    check_clinic,
    check_identifier,
    parse_period,
    readable_clinics,
)
from services.http.deps import Context, CurrentPrincipal
from services.http.limits import spend_expensive
from services.http.reading import Reads
from services.rate_limits import RateLimited

__all__ = ["REFRESH_SECONDS", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REFRESH_SECONDS: Final = 2
"""How often the page reloads itself while an export is queued or running."""

_SHOWN: Final = 100
_CROSS_SITE = (
    "Request exports from this site",
    "This export request was sent from another site, so it was ignored. Open the "
    "dashboard and request it there.",
)


async def get_exporter(principal: CurrentPrincipal) -> Principal:
    if principal.role not in (Role.REGULATOR, Role.ADMIN):
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "This token cannot export",
            f"The token {principal.name!r} is a {principal.role.value.replace('_', ' ')} "
            "token. Export bundles are requested by regulator and admin tokens.",
            principal=principal,
        )
    return principal


Exporter = Annotated[Principal, Depends(get_exporter)]


@router.get("/exports")
async def exports_page(request: Request, principal: Exporter, context: Context) -> Response:
    return await _page(request, principal, context)


@router.post("/exports")
async def request_export(
    request: Request,
    principal: Exporter,
    context: Context,
    reads: Reads,
    clinic: Annotated[str, Form()] = "",
    first: Annotated[str, Form(alias="from")] = "",
    last: Annotated[str, Form(alias="to")] = "",
    patient: Annotated[str, Form()] = "",
) -> Response:
    refuse_cross_site(request, refusal=_CROSS_SITE)
    form = {"clinic": clinic, "from": first, "to": last, "patient": patient}
    try:
        check_clinic(clinic, name="clinic")
        if patient.strip():
            check_identifier(patient.strip(), name="patient")
        if not reads.may_export(principal, clinic):
            raise PageError(
                status.HTTP_403_FORBIDDEN,
                "Not permitted",
                f"This token may not export clinic {clinic!r}.",
                principal=principal,
            )
        period = parse_period(first, last, context=context, clinic_id=clinic)
        if not await context.broker_ready():
            raise PageError(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "Try again shortly",
                "The access log cannot record the export's disclosures just now, so no "
                "export was started. Try again in a few seconds.",
            )
        try:
            spend_expensive(context, principal)
        except RateLimited as limited:
            raise PageError(
                status.HTTP_429_TOO_MANY_REQUESTS, "Too many exports", str(limited).capitalize()
            ) from None
        await _queue(principal, context).submit(
            clinic_id=clinic,
            period=period,
            patient_id=patient.strip() or None,
            previous_sizes=(),
            requester=Requester(
                name=principal.name, role=principal.role, channel=AccessChannel.DASHBOARD
            ),
        )
    except PageError as refused:
        return await _page(
            request, principal, context, form=form, error=refused.message, code=refused.status_code
        )
    except ExportError as error:
        return await _page(
            request,
            principal,
            context,
            form=form,
            error=str(error),
            code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    # Post/redirect/get: reloading the list (as it does while running) must not re-post.
    return RedirectResponse("/exports", status_code=status.HTTP_303_SEE_OTHER)


async def _page(
    request: Request,
    principal: Principal,
    context: HttpContext,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> Response:
    queue = _queue(principal, context)
    # The token's clinics; every clinic with sessions for an admin.
    clinics = await readable_clinics(principal, context)
    records = [
        record
        for record in await queue.recent(
            requested_by=None if principal.role is Role.ADMIN else principal.name, limit=_SHOWN
        )
        if visible_to(principal, record)
    ]
    under_way = any(r.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for r in records)
    today = context.clock.now().astimezone(
        context.zones.for_clinic(clinics[0] if clinics else None)
    )
    context_vars: dict[str, Any] = {
        "principal": principal,
        "title": "Exports",
        "section": "exports",
        "clinics": clinics,
        "form": form
        or {
            "clinic": clinics[0] if clinics else "",
            "from": today.date().isoformat(),
            "to": today.date().isoformat(),
            "patient": "",
        },
        "error": error,
        "exports": records,
        "refresh": REFRESH_SECONDS if under_way else None,
        "everyone": principal.role is Role.ADMIN,
        # Each export's times on its own clinic's clock, as that clinic's pages show them.
        "clinic_zone": context.zones.for_clinic,
    }
    return render(request, "exports.html", context_vars, status_code=code)


def _queue(principal: Principal, context: HttpContext) -> ExportQueue:
    if context.exports is None:
        raise PageError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Exports are not offered",
            "This server has no signing key, so it cannot sign export bundles. Ask the "
            "operator to set KAPAUDIT_SIGNING_KEY_FILE.",
            principal=principal,
        )
    return context.exports
