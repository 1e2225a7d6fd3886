"""Each clinic's time zone, from KAPAUDIT_CLINIC_TIMEZONES and KAPAUDIT_DEFAULT_TIMEZONE."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from services.clinic_zones import ClinicZones, UnknownTimeZoneError
from services.config import Settings


def test_a_configured_clinic_gets_its_zone_and_any_other_the_default() -> None:
    zones = ClinicZones.from_settings(
        Settings(clinic_timezones={"clinic-a": "Europe/Berlin"}, default_timezone="Asia/Tokyo")
    )

    assert zones.for_clinic("clinic-a") == ZoneInfo("Europe/Berlin")
    assert zones.for_clinic("clinic-b") == ZoneInfo("Asia/Tokyo")
    assert zones.for_clinic(None) == ZoneInfo("Asia/Tokyo")


def test_the_demo_clinic_is_in_denver_unless_configured_otherwise() -> None:
    assert ClinicZones.from_settings(Settings()).for_clinic("clinic-demo") == ZoneInfo(
        "America/Denver"
    )
    configured = Settings(clinic_timezones={"clinic-demo": "UTC"})
    assert ClinicZones.from_settings(configured).for_clinic("clinic-demo") == ZoneInfo("UTC")


def test_an_unknown_zone_is_refused_naming_the_setting_the_clinic_and_the_value() -> None:
    with pytest.raises(UnknownTimeZoneError, match=r"clinic 'clinic-a': 'Mountain' is not"):
        ClinicZones(clinics={"clinic-a": "Mountain"})
    with pytest.raises(UnknownTimeZoneError, match=r"KAPAUDIT_DEFAULT_TIMEZONE: '\+07:00'"):
        ClinicZones(default="+07:00")
