"""A threshold change is checked as the fold will take it: after the latest version.

A change that makes no profile whatever is in force is invalid (ValueError); one that only
the settings in force make incoherent is a conflict (ProfileConflict), naming them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events import ProfileChanged, Protocol
from projections.profiles import ProfileHistory, ProtocolProfile, evolve_profile, profile_key_of
from projections.recorded import Recorded
from services.profiles import ProfileConflict, check_changes, profile_changed
from tests.factories import at, document, event

CLINIC = "clinic-a"
IV = Protocol.IV_KETAMINE
THEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _change(settings: dict[str, Any], *, occurred: datetime = THEN) -> ProfileChanged:
    doc = at(
        document("profile.changed", clinic_id=CLINIC, payload={"settings": settings}), occurred
    )
    parsed = event(doc)
    assert isinstance(parsed, ProfileChanged)
    return parsed


def _after(*changes: ProfileChanged) -> ProtocolProfile:
    state: ProtocolProfile | None = None
    for position, change in enumerate(changes, start=1):
        recorded = Recorded(position=position, event=change, recorded_at=change.occurred_at)
        state = evolve_profile(state, recorded, key=profile_key_of(clinic_id=CLINIC, protocol=IV))
    return state if state is not None else ProtocolProfile.shipped(CLINIC, IV)


def _publish(current: ProtocolProfile, settings: dict[str, Any]) -> ProfileChanged:
    return profile_changed(
        clinic_id=CLINIC,
        protocol=IV,
        current=current,
        settings=settings,
        author="dr-ng",
        reason="Director.",
        occurred_at=THEN + timedelta(days=1),
    )


def test_a_change_coherent_with_the_version_in_force_is_taken_though_not_with_the_shipped_one() -> (
    None
):
    current = _after(_change({"post_dose_bp_from_minutes": 10, "post_dose_bp_until_minutes": 20}))

    published = _publish(current, {"post_dose_bp_until_minutes": 25})

    assert published.payload.settings.changed() == {"post_dose_bp_until_minutes": 25}
    with pytest.raises(ProfileConflict):
        _publish(ProtocolProfile.shipped(CLINIC, IV), {"post_dose_bp_until_minutes": 25})


def test_a_conflict_names_the_version_and_the_setting_in_force_it_collides_with() -> None:
    current = _after(_change({"post_dose_bp_from_minutes": 45, "post_dose_bp_until_minutes": 60}))

    with pytest.raises(ProfileConflict) as conflict:
        _publish(current, {"post_dose_bp_until_minutes": 40})

    message = str(conflict.value)
    assert message.startswith("post_dose_bp_until_minutes: conflicts with version 1")
    assert "post_dose_bp_from_minutes = 45" in message


@pytest.mark.parametrize(
    "settings",
    [
        {"post_dose_bp_from_minutes": 40, "post_dose_bp_until_minutes": 35},
        {"discharge_requires_escort": False, "discharge_requires_driving_advice": False},
        {"rules": ["no.such_rule"]},
    ],
    ids=["a window that ends before it starts", "no discharge check left", "an unknown rule"],
)
def test_a_change_that_contradicts_itself_is_invalid_not_a_conflict(
    settings: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="invalid iv-ketamine profile") as invalid:
        _publish(ProtocolProfile.shipped(CLINIC, IV), settings)

    assert not isinstance(invalid.value, ProfileConflict)


def test_events_in_one_batch_are_checked_each_after_the_ones_before() -> None:
    history = ProfileHistory([_after()])
    start = _change({"post_dose_bp_from_minutes": 5}, occurred=THEN)
    end = _change({"post_dose_bp_until_minutes": 10}, occurred=THEN)

    check_changes([start, end], history)
    with pytest.raises(ProfileConflict, match=str(end.event_id)):
        check_changes([end, start], history)


def test_a_change_taking_effect_before_the_latest_version_is_a_conflict() -> None:
    latest = _change({"monitoring_max_gap_minutes": 10}, occurred=THEN)
    history = ProfileHistory([_after(latest)])
    earlier = _change({"monitoring_max_gap_minutes": 12}, occurred=THEN - timedelta(hours=1))

    with pytest.raises(ProfileConflict, match="takes effect before version 1"):
        check_changes([earlier], history)
    with pytest.raises(ValueError, match="before version 1"):
        evolve_profile(
            _after(latest),
            Recorded(position=2, event=earlier, recorded_at=THEN),
            key=profile_key_of(clinic_id=CLINIC, protocol=IV),
        )


def test_a_setting_written_as_a_whole_float_is_checked_and_published_as_its_integer() -> None:
    published = _publish(ProtocolProfile.shipped(CLINIC, IV), {"monitoring_max_gap_minutes": 10.0})

    assert published.payload.settings.changed() == {"monitoring_max_gap_minutes": 10}


def test_a_published_change_may_not_take_effect_before_the_latest_version_either() -> None:
    # An admin may have published a change that takes effect tomorrow; one made now would
    # come before it, which the fold refuses.
    ahead = _change({"monitoring_max_gap_minutes": 10}, occurred=THEN + timedelta(days=2))

    with pytest.raises(ProfileConflict, match="takes effect before version 1"):
        _publish(_after(ahead), {"monitoring_max_gap_minutes": 12})
