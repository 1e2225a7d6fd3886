"""Per-clinic profile overrides from KAPAUDIT_PROFILES_FILE."""

from __future__ import annotations

from pathlib import Path

import pytest

from events import Protocol
from services.profiles import ClinicProfiles


def test_a_clinic_override_changes_only_that_clinics_profile(tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[clinic-a.iv-ketamine]\nmonitoring_max_gap_minutes = 10\n")
    profiles = ClinicProfiles.from_file(path)
    assert profiles.for_clinic("clinic-a", Protocol.IV_KETAMINE).monitoring_max_gap_minutes == 10
    assert profiles.for_clinic("clinic-b", Protocol.IV_KETAMINE).monitoring_max_gap_minutes == 15
    assert profiles.for_clinic("clinic-a", Protocol.IM_KETAMINE).monitoring_max_gap_minutes == 15


def test_an_unknown_setting_in_the_file_is_refused_naming_clinic_protocol_and_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[clinic-a.iv-ketamine]\nmonitoring_gap = 10\n")
    with pytest.raises(ValueError, match=r"\[clinic-a\.iv-ketamine\].*monitoring_gap"):
        ClinicProfiles.from_file(path)
