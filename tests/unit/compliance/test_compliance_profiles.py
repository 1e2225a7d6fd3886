"""Profiles: the shipped defaults per protocol, clinic overrides, and refusing bad settings."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from events import Protocol, Severity
from projections.compliance import RULE_PROTOCOLS, RULES, Profile, load_profile

SPRAVATO = Protocol.SPRAVATO_REMS
IV = Protocol.IV_KETAMINE
IM = Protocol.IM_KETAMINE
SUBLINGUAL = Protocol.SUBLINGUAL_KETAMINE

# The numbers of KAP-DOMAIN.md and the brief, restated so a change to a shipped file is
# a visible decision rather than an accident.
_COMMON: dict[str, Any] = {
    "baseline_window_minutes": 60,
    "baseline_max_systolic_mmhg": 140,
    "baseline_max_diastolic_mmhg": 90,
    "post_dose_bp_from_minutes": 30,
    "post_dose_bp_until_minutes": 50,
    "monitoring_max_gap_minutes": 15,
    "discharge_vitals_window_minutes": 15,
    "adverse_event_min_severity": Severity.MODERATE,
    "adverse_event_check_window_minutes": 15,
    "integration_note_window_days": 7,
    "rems_form_window_days": 7,
    "documentation_max_delay_hours": 24,
}
_SPECIFIC: dict[Protocol, dict[str, Any]] = {
    SPRAVATO: {
        "observation_minimum_minutes": 120,
        "baseline_requires_spo2": True,
        "discharge_requires_escort": False,
        "discharge_requires_driving_advice": True,
    },
    IV: {
        "observation_minimum_minutes": 60,
        "baseline_requires_spo2": True,
        "discharge_requires_escort": True,
        "discharge_requires_driving_advice": False,
    },
    IM: {
        "observation_minimum_minutes": 60,
        "baseline_requires_spo2": False,
        "discharge_requires_escort": True,
        "discharge_requires_driving_advice": False,
    },
    SUBLINGUAL: {
        "observation_minimum_minutes": 60,
        "baseline_requires_spo2": False,
        "discharge_requires_escort": True,
        "discharge_requires_driving_advice": False,
    },
}


def _shipped_text(protocol: Protocol) -> str:
    resource = resources.files("projections.compliance") / "profiles" / f"{protocol}.toml"
    return resource.read_text(encoding="utf-8")


@pytest.mark.parametrize("protocol", list(Protocol))
def test_each_protocol_ships_a_profile_with_the_documented_defaults(protocol: Protocol) -> None:
    profile = load_profile(protocol)

    assert profile.protocol is protocol
    expected = {**_COMMON, **_SPECIFIC[protocol]}
    assert {name: getattr(profile, name) for name in expected} == expected


@pytest.mark.parametrize("protocol", list(Protocol))
def test_each_shipped_profile_enables_exactly_the_rules_of_its_protocol(
    protocol: Protocol,
) -> None:
    applicable = {rule_id for rule_id, protocols in RULE_PROTOCOLS.items() if protocol in protocols}

    assert set(load_profile(protocol).rules) == applicable


@pytest.mark.parametrize("protocol", list(Protocol))
def test_every_setting_in_every_shipped_file_says_where_its_value_comes_from(
    protocol: Protocol,
) -> None:
    lines = _shipped_text(protocol).splitlines()
    settings = [i for i, line in enumerate(lines) if line[:1].isalpha() and " = " in line]

    uncommented = [lines[i] for i in settings if not lines[i - 1].startswith("#")]
    assert settings
    assert uncommented == []


@pytest.mark.parametrize("protocol", list(Protocol))
def test_every_profile_setting_is_written_out_in_every_shipped_file(protocol: Protocol) -> None:
    written = set(tomllib.loads(_shipped_text(protocol)))

    assert written == set(Profile.model_fields) - {"protocol", "version"}


def test_the_package_data_ships_the_profile_files() -> None:
    pyproject = tomllib.loads(
        (Path(__file__).parents[3] / "pyproject.toml").read_text(encoding="utf-8")
    )

    package_data = pyproject["tool"]["setuptools"]["package-data"]["projections"]
    assert "compliance/profiles/*.toml" in package_data


def test_a_clinic_override_replaces_that_setting_and_keeps_the_others() -> None:
    profile = load_profile(IV, overrides={"monitoring_max_gap_minutes": 10})

    assert profile.monitoring_max_gap_minutes == 10
    assert profile.observation_minimum_minutes == 60
    assert load_profile(IV).monitoring_max_gap_minutes == 15


def test_a_clinic_can_disable_a_rule_by_listing_the_rules_it_wants() -> None:
    wanted = [rule for rule in load_profile(IV).rules if rule != "integration.note_within_window"]

    profile = load_profile(IV, overrides={"rules": wanted})

    assert "integration.note_within_window" not in profile.rules
    assert "integration.note_within_window" not in profile.enabled


def test_an_unknown_override_key_is_refused_by_name_with_a_suggestion() -> None:
    with pytest.raises(ValueError, match="'monitoring_gap_minutes'") as raised:
        load_profile(IV, overrides={"monitoring_gap_minutes": 10})

    assert "monitoring_max_gap_minutes" in str(raised.value)


def test_the_protocol_of_a_profile_cannot_be_overridden() -> None:
    with pytest.raises(ValueError, match="protocol"):
        load_profile(IV, overrides={"protocol": SPRAVATO})


@pytest.mark.parametrize(
    ("protocol", "overrides", "named"),
    [
        (IV, {"monitoring_max_gap_minutes": 0}, "monitoring_max_gap_minutes"),
        (IV, {"monitoring_max_gap_minutes": "15"}, "monitoring_max_gap_minutes"),
        (IV, {"observation_minimum_minutes": 60.5}, "observation_minimum_minutes"),
        (IV, {"baseline_requires_spo2": "yes"}, "baseline_requires_spo2"),
        (IV, {"adverse_event_min_severity": "catastrophic"}, "adverse_event_min_severity"),
        (IV, {"rules": ["vitals.baseline_before_dose", "vitals.nope"]}, "vitals.nope"),
        (IV, {"rules": []}, "rules"),
        (SPRAVATO, {"post_dose_bp_from_minutes": 50}, "post_dose_bp_from_minutes"),
        (IV, {"discharge_requires_escort": False}, "discharge_requires_escort"),
    ],
)
def test_an_invalid_setting_is_refused_naming_the_field(
    protocol: Protocol, overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        load_profile(protocol, overrides=overrides)


def test_a_profile_cannot_be_changed_once_loaded() -> None:
    profile = load_profile(IV)

    with pytest.raises(ValidationError):
        profile.monitoring_max_gap_minutes = 10  # type: ignore[misc]


def test_the_catalogue_order_decides_the_order_rules_run_in() -> None:
    backwards = list(reversed(load_profile(IM).rules))

    profile = load_profile(IM, overrides={"rules": backwards})

    assert list(profile.enabled) == [rule for rule in RULES if rule in backwards]


def test_a_profile_change_event_can_name_exactly_the_settings_a_profile_has() -> None:
    from events import ProfileSettings
    from projections.compliance.profile import SETTING_NAMES

    assert set(ProfileSettings.model_fields) == set(SETTING_NAMES)
