"""Each clinic's IANA time zone, in which its reporting days are cut at midnight."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.config import Settings
from services.demo import CLINIC_ZONE

__all__ = ["DEMO_CLINIC_ID", "ClinicZones", "UnknownTimeZoneError"]

DEMO_CLINIC_ID: Final = "clinic-demo"
"""The demo clinic (``kapaudit up --demo``) is in America/Denver unless configured."""


class UnknownTimeZoneError(ValueError):
    """A configured time zone that is not an IANA name; says which setting and clinic."""


class ClinicZones:
    """``KAPAUDIT_CLINIC_TIMEZONES`` per clinic, else ``KAPAUDIT_DEFAULT_TIMEZONE``."""

    def __init__(self, *, default: str = "UTC", clinics: Mapping[str, str] | None = None) -> None:
        self._default = _zone(default, where="KAPAUDIT_DEFAULT_TIMEZONE")
        self._clinics = {
            clinic_id: _zone(name, where=f"KAPAUDIT_CLINIC_TIMEZONES, clinic {clinic_id!r}")
            for clinic_id, name in (clinics or {}).items()
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> ClinicZones:
        # The demo's events are written on its clock (UTC-07:00); its days must be too,
        # in the CLI as in the dashboard, without anyone configuring it.
        clinics = {DEMO_CLINIC_ID: CLINIC_ZONE.key, **settings.clinic_timezones}
        return cls(default=settings.default_timezone, clinics=clinics)

    def for_clinic(self, clinic_id: str | None) -> ZoneInfo:
        """The clinic's zone; the default for an unconfigured clinic or none."""
        return self._clinics.get(clinic_id or "", self._default)


def _zone(name: str, *, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZoneError(
            f"{where}: {name!r} is not an IANA time zone name (e.g. America/Denver or UTC)"
        ) from None
