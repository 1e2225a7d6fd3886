"""The thresholds a clinic's verdicts are judged by: in force now (or as of), and their history.

Thresholds hold no patient data, so the page is a scope check, not an audited read: an
officer or admin who may read the clinic, or a regulator who may audit it, sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter, Request, Response, status

from events import Protocol
from projections.profiles import ProfileVersion
from services.http.dashboard.audit import PageRead
from services.http.dashboard.chrome import chrome
from services.http.dashboard.pages import PageError, PageRoute, render
from services.http.dashboard.scope import FromDay, check_clinic, parse_period, read_as_of
from services.http.deps import Context

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_NOT_SETTINGS = ("protocol", "rules", "version")


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
) -> Response:
    check_clinic(clinic_id)
    principal = reads.principal
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
    return render(
        request,
        "thresholds.html",
        {**frame, "title": f"Thresholds of {clinic_id}", "protocols": protocols},
    )


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
