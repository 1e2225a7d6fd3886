"""A clinic's profile versions, folded from ``profile.changed``: pure, no I/O."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from events import Protocol
from projections import PROFILES, ProfileHistory, ProtocolProfile, Recorded, fold
from projections.compliance.profile import shipped_sources
from tests.unit.projections.builders import T0, Log

_IV = Protocol.IV_KETAMINE
_KEY = "clinic-demo/iv-ketamine"


def _change(log: Log, *, minute: float, settings: dict[str, Any], **overrides: Any) -> Recorded:
    return log.add(
        "profile.changed",
        minute=minute,
        payload={"settings": settings, **overrides.pop("payload", {})},
        **overrides,
    )


def _history(*events: Recorded) -> ProfileHistory:
    return ProfileHistory(fold(PROFILES, {}, events).values())


def test_a_clinic_without_changes_has_the_shipped_defaults_as_version_0_with_sources() -> None:
    version = ProfileHistory().in_force("clinic-demo", _IV, as_of=T0)

    assert (version.version, version.profile.monitoring_max_gap_minutes) == (0, 15)
    assert version.author is None
    assert "15 min" in version.source_of("monitoring_max_gap_minutes")
    assert shipped_sources(_IV)["rules"].startswith("Sources: Sanacora")


def test_each_change_is_the_next_version_with_its_author_reason_and_the_settings_kept() -> None:
    log = Log()
    first = _change(log, minute=0, settings={"monitoring_max_gap_minutes": 10})
    second = _change(
        log,
        minute=60,
        settings={"observation_minimum_minutes": 90},
        payload={"author": "dr-ng", "reason": "Longer observation after two vomiting cases."},
    )

    versions = fold(PROFILES, {}, [first, second])[_KEY].versions

    assert [v.version for v in versions] == [0, 1, 2]
    assert versions[2].profile.monitoring_max_gap_minutes == 10  # kept from version 1
    assert versions[2].profile.observation_minimum_minutes == 90
    assert (versions[2].author, versions[2].changed) == (
        "dr-ng",
        {"observation_minimum_minutes": 90},
    )
    assert (
        versions[2]
        .source_of("monitoring_max_gap_minutes", versions)
        .startswith("version 1 by dr-okafor")
    )


def test_the_profile_in_force_is_the_old_one_before_a_change_and_the_new_one_after() -> None:
    log = Log()
    history = _history(_change(log, minute=60, settings={"monitoring_max_gap_minutes": 10}))

    before = history.profile_at("clinic-demo", _IV, as_of=T0 + timedelta(minutes=59))
    after = history.profile_at("clinic-demo", _IV, as_of=T0 + timedelta(minutes=61))

    assert (before.version, before.monitoring_max_gap_minutes) == (0, 15)
    assert (after.version, after.monitoring_max_gap_minutes) == (1, 10)


def test_a_change_recorded_after_its_effect_is_not_in_force_as_of_before_it_was_recorded() -> None:
    log = Log()
    late = _change(
        log, minute=0, settings={"monitoring_max_gap_minutes": 10}, recorded_after=timedelta(days=2)
    )
    history = _history(late)

    assert history.in_force("clinic-demo", _IV, as_of=T0 + timedelta(days=1)).version == 0
    assert history.in_force("clinic-demo", _IV, as_of=T0 + timedelta(days=3)).version == 1


def test_another_clinics_or_protocols_change_leaves_this_profile_alone() -> None:
    log = Log()
    history = _history(
        _change(log, minute=0, settings={"monitoring_max_gap_minutes": 10}, clinic_id="other"),
        _change(
            log,
            minute=0,
            settings={"monitoring_max_gap_minutes": 10},
            payload={"protocol": "im-ketamine"},
        ),
    )

    assert history.in_force("clinic-demo", _IV, as_of=T0 + timedelta(days=1)).version == 0
    assert history.in_force("other", _IV, as_of=T0 + timedelta(days=1)).version == 1


def test_a_change_making_an_incoherent_profile_is_refused_naming_the_setting() -> None:
    log = Log()
    bad = _change(log, minute=0, settings={"rules": ["vitals.nonexistent"]})

    faults: list[Exception] = []
    folded = fold(PROFILES, {}, [bad], on_fault=lambda _, problem: faults.append(problem))

    assert folded == {}
    assert "rules" in str(faults[0])


def test_a_change_taking_effect_before_the_version_it_follows_is_refused() -> None:
    log = Log()
    first = _change(log, minute=60, settings={"monitoring_max_gap_minutes": 10})
    backdated = _change(log, minute=0, settings={"monitoring_max_gap_minutes": 20})

    with pytest.raises(ValueError, match="before version 1"):
        fold(PROFILES, {}, [first, backdated])


def test_a_redelivered_change_is_folded_once() -> None:
    log = Log()
    change = _change(log, minute=0, settings={"monitoring_max_gap_minutes": 10})

    assert len(fold(PROFILES, {}, [change, change])[_KEY].versions) == 2


def test_the_stored_document_round_trips_to_the_same_versions() -> None:
    log = Log()
    state = fold(
        PROFILES,
        {},
        [
            _change(log, minute=0, settings={"monitoring_max_gap_minutes": 10}),
            _change(log, minute=5, settings={"adverse_event_min_severity": "severe"}),
        ],
    )[_KEY]

    assert ProtocolProfile.from_document(state.to_document()) == state


def test_session_and_patient_histories_take_no_profile_change() -> None:
    from projections import PATIENTS, SESSIONS

    change = _change(Log(), minute=0, settings={"monitoring_max_gap_minutes": 10})

    assert fold(SESSIONS, {}, [change]) == {}
    assert fold(PATIENTS, {}, [change]) == {}
