"""Who may see which clinic, over which period and as of which instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, status

from services.auth import Principal, Role
from services.clinic_time import clinic_time
from services.http.context import HttpContext
from services.http.dashboard.pages import PageError
from services.http.deps import CurrentPrincipal
from services.period import Period, PeriodError, parse_as_of, parse_day, resolve_period
from services.reading import storable_identifier

__all__ = [
    "AsOfChoice",
    "FromDay",
    "Reader",
    "check_clinic",
    "check_identifier",
    "choose_clinic",
    "get_reader",
    "parse_period",
    "read_as_of",
    "readable_clinics",
]

FromDay = Annotated[str, Query(alias="from")]
"""The period picker's first day (``from`` is a Python keyword, hence the alias)."""


async def get_reader(principal: CurrentPrincipal) -> Principal:
    """The signed-in principal, when its role may read clinic data at all; else a 403 page."""
    if principal.role not in (Role.COMPLIANCE_OFFICER, Role.ADMIN):
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "This token cannot read clinic data",
            f"The token {principal.name!r} is a {principal.role.value.replace('_', ' ')} "
            "token. Only compliance officer and admin tokens can see sessions, reports and "
            "ledgers; sign out and sign in with one of those.",
            principal=principal,
        )
    return principal


Reader = Annotated[Principal, Depends(get_reader)]


async def readable_clinics(principal: Principal, context: HttpContext) -> list[str]:
    """The clinic picker's choices: the token's clinics, or every clinic seen for an admin."""
    if principal.role is Role.ADMIN:
        return await context.queries.clinics()
    return sorted(principal.clinics)


def check_clinic(clinic_id: str, *, name: str = "clinic_id") -> None:
    """A 400 page unless ``clinic_id`` (the parameter ``name``) could be a clinic id at all.

    Whether the token may read it is ``services.reading``'s to say (``PageReads.clinic``).
    """
    # The API's ClinicIdPath/ClinicIdQuery pattern: a storable identifier without '/'.
    if not storable_identifier(clinic_id) or "/" in clinic_id:
        raise _bad_address(
            f"{name}: {_shown(clinic_id)} is not a clinic id (1 to 64 characters, no '/' or NUL)"
        )


async def choose_clinic(principal: Principal, context: HttpContext, asked: str) -> str | None:
    """The clinic asked for (a clinic id, not yet the token's), else the first the
    principal may read."""
    if asked:
        check_clinic(asked, name="clinic")
        return asked
    clinics = await readable_clinics(principal, context)
    return clinics[0] if clinics else None


def parse_period(
    first_text: str, last_text: str, *, context: HttpContext, clinic_id: str | None
) -> Period:
    """The picker's ``from``/``to`` days at the clinic, both included; empty means the last
    seven days, today (at the clinic) included. As in the API and the CLI
    (``services.period``): days begin at midnight in the clinic's zone, in the years 1900 to
    2999, at most 366 of them."""
    try:
        # 'to' first: an address wrong in both is answered about 'to', as it always was.
        last = parse_day(last_text, parameter="to") if last_text else None
        return resolve_period(
            parse_day(first_text, parameter="from") if first_text else None,
            last,
            zone=context.zones.for_clinic(clinic_id),
            now=context.clock.now(),
        )
    except PeriodError as problem:
        raise _bad_address(str(problem)) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class AsOfChoice:
    """The as-of picker's value: what was typed, the instant judged at, and what went wrong."""

    text: str
    """As typed (kept in the page's links, like the period)."""
    instant: datetime
    """The instant the page is judged at: the one asked for, else now."""
    now: datetime
    asked: bool
    """False when no as-of (or an unreadable one) was given: the page is judged now."""
    error: str | None
    """Why ``text`` could not be read, naming the field; the page says so beside the form."""
    zone: ZoneInfo

    @property
    def in_future(self) -> bool:
        return self.asked and self.instant > self.now

    @property
    def picker_value(self) -> str:
        """The instant as a ``datetime-local`` value on the clinic's clock (empty: now)."""
        if not self.asked:
            return ""
        return self.instant.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")

    @property
    def shown(self) -> str:
        return clinic_time(self.instant, self.zone)


def read_as_of(text: str, *, zone: ZoneInfo, now: datetime) -> AsOfChoice:
    """The as-of picker's value read on the clinic's clock (``services.period.parse_as_of``).

    Unreadable text is not an error page: the page is judged now and says why, beside the
    form and with its navigation, so the officer can correct it in place.
    """
    if not text.strip():
        return AsOfChoice(text="", instant=now, now=now, asked=False, error=None, zone=zone)
    try:
        instant = parse_as_of(text, zone=zone)
    except PeriodError as problem:
        return AsOfChoice(
            text=text, instant=now, now=now, asked=False, error=str(problem), zone=zone
        )
    return AsOfChoice(text=text, instant=instant, now=now, asked=True, error=None, zone=zone)


def check_identifier(text: str, *, name: str, longest: int = 64) -> None:
    """A 400 page unless ``text`` (the parameter ``name``) could be a recorded identifier:
    as the API, 1 to ``longest`` characters and no NUL (no database can store it)."""
    if not storable_identifier(text, longest=longest):
        raise _bad_address(
            f"{name}: {_shown(text)} is not an identifier (1 to {longest} characters, no NUL)"
        )


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _bad_address(message: str) -> PageError:
    return PageError(status.HTTP_400_BAD_REQUEST, "This address is not valid", message)
