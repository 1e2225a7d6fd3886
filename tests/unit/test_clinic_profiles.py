"""KAPAUDIT_PROFILES_FILE: validated per clinic, and seeded into the log once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events import ProfileChanged, Protocol, SessionEvent, stream_id
from services.profiles import SEED_AUTHOR, ClinicProfiles, seed_profiles


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


class _Log:
    """The log's profile streams and a publisher that records straight into them."""

    def __init__(self) -> None:
        self.streams: set[str] = set()
        self.published: list[SessionEvent] = []

    async def stream_exists(self, stream: str) -> bool:
        return stream in self.streams

    async def publish_many(self, events: Iterable[SessionEvent]) -> int:
        batch = list(events)
        self.published.extend(batch)
        self.streams.update(stream_id(event) for event in batch)
        return len(batch)


async def test_the_profiles_file_is_seeded_once_as_version_1_not_again_on_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[clinic-a.iv-ketamine]\nmonitoring_max_gap_minutes = 10\n")
    log = _Log()
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    for _ in range(2):
        await seed_profiles(
            ClinicProfiles.from_file(path), source_file=path, store=log, publisher=log, now=now
        )

    assert len(log.published) == 1
    (seed,) = log.published
    assert isinstance(seed, ProfileChanged)
    assert (seed.clinic_id, seed.payload.protocol, seed.payload.author) == (
        "clinic-a",
        Protocol.IV_KETAMINE,
        SEED_AUTHOR,
    )
    assert seed.payload.settings.changed() == {"monitoring_max_gap_minutes": 10}
    assert "profiles.toml" in seed.payload.reason


async def test_a_profile_already_changed_in_the_log_is_not_seeded_from_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[clinic-a.iv-ketamine]\nmonitoring_max_gap_minutes = 10\n")
    log = _Log()
    log.streams.add("clinic-a/profile/iv-ketamine")

    seeded = await seed_profiles(
        ClinicProfiles.from_file(path),
        source_file=path,
        store=log,
        publisher=log,
        now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )

    assert (seeded, log.published) == ([], [])
