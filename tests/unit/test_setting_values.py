"""A threshold typed into the dashboard's form becomes the value its setting takes."""

from __future__ import annotations

from typing import Any

import pytest

from services.profiles import setting_value


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("monitoring_max_gap_minutes", " 10 ", 10),
        ("discharge_requires_escort", "no", False),
        ("baseline_requires_spo2", "Yes", True),
        ("adverse_event_min_severity", "severe", "severe"),
        (
            "rules",
            "vitals.baseline, consent.before_dose",
            ["vitals.baseline", "consent.before_dose"],
        ),
    ],
)
def test_form_text_is_read_as_the_settings_type(name: str, text: str, value: Any) -> None:
    assert setting_value(name, text) == value


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("monitoring_max_gap_minutes", "ten", "monitoring_max_gap_minutes: 'ten' is not a whole"),
        ("monitoring_max_gap_minutes", "12.5", "is not a whole number"),
        ("discharge_requires_escort", "maybe", "discharge_requires_escort: 'maybe' is not yes"),
        ("observation_minimum_minutes", "  ", "observation_minimum_minutes: a value is required"),
        ("monitoring_gap", "10", "unknown profile setting 'monitoring_gap'"),
    ],
)
def test_text_that_is_not_of_the_settings_type_is_refused_naming_the_setting(
    name: str, text: str, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        setting_value(name, text)
