"""The thresholds a clinic's verdicts are judged by: in force now (or as of), and their history.

Thresholds hold no patient data, so the page is a scope check, not an audited read: an
officer or admin who may read the clinic, or a regulator who may audit it, sees it.

An admin also changes a threshold here, as with ``POST /v1/clinics/{id}/profiles/{protocol}``
and ``kapaudit profile set``: the change is a ``profile.changed`` with its author and reason,
published through the broker, so it takes effect only once the log has recorded it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import RedirectResponse

from events import EventRejected, Protocol
from projections.compliance.profile import SETTING_NAMES
from projections.profiles import ProfileVersion
from services.auth import Principal, Role
from services.http.availability import BrokerTimeout, acknowledged
from services.http.context import HttpContext
from services.http.dashboard.audit import PageRead
from services.http.dashboard.chrome import chrome
from services.http.dashboard.cross_site import refuse_cross_site
from services.http.dashboard.pages import PageError, PageRoute, render
from services.http.dashboard.scope import FromDay, check_clinic, parse_period, read_as_of
from services.http.deps import Context, CurrentPrincipal
from services.profiles import profile_changed, setting_value

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_NOT_SETTINGS = ("protocol", "rules", "version")
_CROSS_SITE: Final = (
    "Change thresholds from this site",
    "This threshold change was sent from another site, so it was ignored. Open the "
    "dashboard's Thresholds page and change it there.",
)
_UNACKNOWLEDGED: Final = (
    "The event broker did not acknowledge the change, so it is not on the record and "
    "nothing changed. Try again in a few seconds."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeForm:
    """The change form's fields, as typed, so a refused change is shown for correcting."""

    protocol: str = ""
    setting: str = ""
    value: str = ""
    author: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingRow:
    name: str
    value: str
    source: str
    changed: bool
    """Set by a version of the clinic's, not the shipped default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolThresholds:
    protocol: Protocol
    in_force: ProfileVersion
    settings: tuple[SettingRow, ...]
    history: tuple[ProfileVersion, ...]
    """Every version, newest first; version 0 is the shipped defaults."""


@router.get("/clinics/{clinic_id}/thresholds")
async def thresholds_page(
    request: Request,
    clinic_id: str,
    context: Context,
    reads: PageRead,
    from_day: FromDay = "",
    to: str = "",
    as_of: str = "",
    published: str = "",
) -> Response:
    return await _page(
        request,
        clinic_id,
        reads.principal,
        context,
        from_day=from_day,
        to=to,
        as_of=as_of,
        # Only an event id this page itself redirected with is echoed; anything else is noise.
        published=published if _is_event_id(published) else None,
    )


@router.post("/clinics/{clinic_id}/thresholds")
async def change_threshold(
    request: Request,
    clinic_id: str,
    principal: CurrentPrincipal,
    context: Context,
    broker_wait: BrokerTimeout,
    protocol: Annotated[str, Form()] = "",
    setting: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    author: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Publish the admin's change as a ``profile.changed``; a refused one comes back on the
    same page, the form filled in as typed and the error naming the field."""
    refuse_cross_site(request, refusal=_CROSS_SITE)
    check_clinic(clinic_id)
    if principal.role is not Role.ADMIN:
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "Only admins change thresholds",
            f"The token {principal.name!r} is a {principal.role.value.replace('_', ' ')} "
            "token. A clinic's thresholds are changed by an admin token, on the record.",
            principal=principal,
        )
    form = ChangeForm(protocol=protocol, setting=setting, value=value, author=author, reason=reason)
    history = await context.queries.profile_history([clinic_id])
    try:
        chosen = _protocol(protocol)
        event = profile_changed(
            clinic_id=clinic_id,
            protocol=chosen,
            current=history.of(clinic_id, chosen),
            settings={setting: setting_value(setting, value)},
            author=author.strip(),
            reason=reason.strip(),
            occurred_at=context.clock.now(),
        )
    except EventRejected as rejected:
        error = "; ".join(
            f"{e.path.removeprefix('payload.')}: {e.message}" for e in rejected.errors
        )
        return await _refused(request, clinic_id, principal, context, form, error)
    except ValueError as invalid:
        # Each message names its field first ("monitoring_max_gap_minutes: ...").
        return await _refused(request, clinic_id, principal, context, form, str(invalid))
    try:
        await acknowledged(
            context.publisher.publish_many([event]), within=broker_wait, refusal=_UNACKNOWLEDGED
        )
    except HTTPException:
        return await _refused(
            request,
            clinic_id,
            principal,
            context,
            form,
            _UNACKNOWLEDGED,
            code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    # Post/redirect/get: reloading the page to see the change recorded must not re-post it.
    return RedirectResponse(
        f"/clinics/{quote(clinic_id, safe='')}/thresholds?published={event.event_id}",
        status_code=status.HTTP_303_SEE_OTHER,
    )


def _protocol(text: str) -> Protocol:
    try:
        return Protocol(text)
    except ValueError:
        raise ValueError(f"protocol: {text!r} is not a protocol") from None


def _is_event_id(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


async def _refused(
    request: Request,
    clinic_id: str,
    principal: Principal,
    context: HttpContext,
    form: ChangeForm,
    error: str,
    *,
    code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
) -> Response:
    return await _page(request, clinic_id, principal, context, form=form, error=error, code=code)


async def _page(
    request: Request,
    clinic_id: str,
    principal: Principal,
    context: HttpContext,
    *,
    from_day: str = "",
    to: str = "",
    as_of: str = "",
    published: str | None = None,
    form: ChangeForm | None = None,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> Response:
    check_clinic(clinic_id)
    if not (principal.may_read(clinic_id) or principal.may_export(clinic_id)):
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "Not permitted",
            "This token may not see this clinic's thresholds.",
            principal=principal,
        )
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    choice = read_as_of(as_of, zone=period.zone, now=context.clock.now())
    history = await context.queries.profile_history([clinic_id])
    protocols = [
        _thresholds(
            history.of(clinic_id, protocol).versions,
            history.in_force(clinic_id, protocol, as_of=choice.instant),
        )
        for protocol in Protocol
    ]
    frame = await chrome(
        principal, context, clinic=clinic_id, period=period, section="thresholds", as_of=choice
    )
    page: dict[str, Any] = {
        **frame,
        "title": f"Thresholds of {clinic_id}",
        "protocols": protocols,
        "may_change": principal.role is Role.ADMIN,
        "setting_names": SETTING_NAMES,
        "form": form or ChangeForm(author=principal.name),
        "error": error,
        "published": published,
    }
    return render(request, "thresholds.html", page, status_code=code)


def _thresholds(
    versions: tuple[ProfileVersion, ...], in_force: ProfileVersion
) -> ProtocolThresholds:
    profile = in_force.profile
    settings = tuple(
        SettingRow(
            name=name,
            value=_shown(getattr(profile, name)),
            source=in_force.source_of(name, versions),
            changed=any(v.version <= in_force.version and name in v.changed for v in versions),
        )
        for name in type(profile).model_fields
        if name not in _NOT_SETTINGS
    )
    return ProtocolThresholds(
        protocol=profile.protocol,
        in_force=in_force,
        settings=settings,
        history=tuple(sorted(versions, key=lambda v: v.version, reverse=True)),
    )


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
