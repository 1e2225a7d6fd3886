"""``KAPAUDIT_PROFILES_FILE``: a clinic's first profile versions, seeded into the log.

The file used to override the shipped profiles silently, and only where it was set; now
its settings are published once as ``profile.changed`` (version 1, author
``profiles-file``) for each clinic and protocol whose profile has no version in the log.
"""

from __future__ import annotations

import json
import tomllib
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final
from typing import Protocol as Protocol_

from events import (
    CLINIC_LEVEL_PATIENT,
    ActorRole,
    ProfileChanged,
    Protocol,
    SessionEvent,
    parse_event,
    stream_id,
)
from projections.compliance import Profile, load_profile
from projections.compliance.profile import SETTING_NAMES, IncoherentProfile, check_setting_names
from projections.profiles import ProfileHistory, ProfileVersion, ProtocolProfile

__all__ = [
    "SEED_AUTHOR",
    "ClinicProfiles",
    "ProfileConflict",
    "check_changes",
    "profile_changed",
    "seed_profiles",
    "setting_value",
]


class ProfileConflict(ValueError):  # noqa: N818 - reads as the outcome, like EventRejected
    """A change coherent in itself that the profile in force would make incoherent: the
    request is fine, the clinic's current settings are what stand in its way."""


class ClinicProfiles:
    """Shipped profiles, overridden per clinic and protocol.

    The file holds one table per clinic and protocol::

        [clinic-demo.iv-ketamine]
        monitoring_max_gap_minutes = 10
    """

    def __init__(self, *, overrides: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None):
        self._overrides = overrides or {}
        for clinic_id, by_protocol in self._overrides.items():
            for protocol, settings in by_protocol.items():
                try:
                    load_profile(Protocol(protocol), overrides=settings)
                except ValueError as problem:
                    raise ValueError(
                        f"profile overrides [{clinic_id}.{protocol}]: {problem}"
                    ) from None

    @classmethod
    def from_file(cls, path: Path | None) -> ClinicProfiles:
        if path is None:
            return cls()
        with path.open("rb") as file:
            return cls(overrides=tomllib.load(file))

    def for_clinic(self, clinic_id: str, protocol: Protocol) -> Profile:
        settings = self._overrides.get(clinic_id, {}).get(protocol.value)
        return load_profile(protocol, overrides=settings)

    def entries(self) -> Iterator[tuple[str, Protocol, Mapping[str, Any]]]:
        """Each clinic and protocol the file sets, with its settings, in the file's order."""
        for clinic_id, by_protocol in self._overrides.items():
            for protocol, settings in by_protocol.items():
                yield clinic_id, Protocol(protocol), settings


class _Streams(Protocol_):
    async def stream_exists(self, stream_id: str) -> bool: ...


class _Publisher(Protocol_):
    async def publish_many(self, events: Iterable[SessionEvent]) -> int: ...


async def seed_profiles(
    profiles: ClinicProfiles,
    *,
    source_file: Path,
    store: _Streams,
    publisher: _Publisher,
    now: datetime,
) -> list[ProfileChanged]:
    """Publish each clinic's settings from ``KAPAUDIT_PROFILES_FILE`` as version 1 of its
    profile, where the log holds no ``profile.changed`` of that clinic and protocol yet.

    The file only seeds: once a profile has a version in the log, editing the file changes
    nothing, so a limit never changes without an author and a reason on record.
    """
    seeds: list[ProfileChanged] = []
    for clinic_id, protocol, settings in profiles.entries():
        seed = profile_changed(
            clinic_id=clinic_id,
            protocol=protocol,
            # Seeds only ever become version 1, after the shipped defaults.
            current=ProtocolProfile.shipped(clinic_id, protocol),
            settings=settings,
            author=SEED_AUTHOR,
            reason=f"Seeded from the profiles file {source_file.name}",
            occurred_at=now,
        )
        if not await store.stream_exists(stream_id(seed)):
            seeds.append(seed)
    if seeds:
        await publisher.publish_many(seeds)
    return seeds


SEED_AUTHOR: Final = "profiles-file"
"""The author of a profile version seeded from ``KAPAUDIT_PROFILES_FILE``."""


def profile_changed(
    *,
    clinic_id: str,
    protocol: Protocol,
    current: ProtocolProfile,
    settings: Mapping[str, Any],
    author: str,
    reason: str,
    occurred_at: datetime,
    actor_role: ActorRole = ActorRole.SYSTEM,
) -> ProfileChanged:
    """A ``profile.changed`` published by kapaudit itself (CLI, API, seeding), checked
    against ``current``, the clinic's profile of ``protocol`` as the log has it.

    Raises ``EventRejected`` naming the field for a value outside the contract, ValueError
    naming the setting for a change that makes no profile whatever is in force, and
    ProfileConflict for one that only the settings in force make incoherent.
    """
    document = {
        "event_id": str(uuid.uuid4()),
        "event_type": "profile.changed",
        "schema_version": 1,
        "occurred_at": occurred_at.isoformat(),
        "clinic_id": clinic_id,
        "patient_id": CLINIC_LEVEL_PATIENT,
        "actor": {"id": author, "role": actor_role.value},
        "source": f"kapaudit/{version('kapaudit')}",
        "payload": {
            "protocol": protocol.value,
            "settings": dict(settings),
            "author": author,
            "reason": reason,
        },
    }
    # Unknown settings first, in the profile's words; then the contract's types and ranges
    # (its values are what the fold takes: 10.0 is 10); then coherence with ``current``.
    check_setting_names(settings)
    event = parse_event(json.dumps(document).encode("utf-8"))
    assert isinstance(event, ProfileChanged)
    _check_following(current, event.payload.settings.changed(), effective_at=occurred_at)
    return event


def check_changes(changes: Sequence[ProfileChanged], history: ProfileHistory) -> None:
    """Check changes published as events (``POST /v1/events``) as the fold will: each
    against the profile in force and the changes before it, in order. A change the log
    already holds (a retried batch) is not checked again.

    Raises ValueError (incoherent whatever is in force) or ProfileConflict (incoherent
    with, or taking effect before, the latest version), naming the event.
    """
    profiles: dict[tuple[str, Protocol], ProtocolProfile] = {}
    for event in changes:
        key = (event.clinic_id, event.payload.protocol)
        current = profiles.get(key) or history.of(*key)
        if any(version.event_id == str(event.event_id) for version in current.versions):
            continue
        change = event.payload.settings.changed()
        try:
            following = _check_following(current, change, effective_at=event.occurred_at)
        except ProfileConflict as conflict:
            raise ProfileConflict(f"event {event.event_id}: {conflict}") from None
        except ValueError as invalid:
            raise ValueError(f"event {event.event_id}: {invalid}") from None
        profiles[key] = replace(
            current,
            versions=(
                *current.versions,
                ProfileVersion(
                    version=current.latest.version + 1,
                    profile=following,
                    changed=change,
                    effective_at=event.occurred_at,
                ),
            ),
        )


def _check_following(
    current: ProtocolProfile, change: Mapping[str, Any], *, effective_at: datetime
) -> Profile:
    """The profile ``change`` makes after ``current``'s latest version, if it may."""
    # Checked against the latest version, as the fold will check it: a check against the
    # shipped defaults alone accepted changes the fold then refused, and refused coherent
    # ones (a window moved setting by setting, as the dashboard changes them).
    early = current.too_early(effective_at)
    if early is not None:
        raise ProfileConflict(f"occurred_at: {early}")
    try:
        return current.following(change)
    except IncoherentProfile as incoherent:
        in_force = [name for name in incoherent.settings if name not in change]
        if not in_force:
            raise
        latest = current.latest
        values = ", ".join(f"{name} = {getattr(latest.profile, name)!r}" for name in in_force)
        raise ProfileConflict(
            f"{', '.join(change)}: conflicts with version {latest.version} of the "
            f"profile in force, where {values}: {incoherent}; change them together"
        ) from None


_YES: Final = frozenset({"yes", "true", "on"})
_NO: Final = frozenset({"no", "false", "off"})


def setting_value(name: str, text: str) -> Any:
    """The value of setting ``name`` typed from a form field's ``text``: ``10`` for a number
    of minutes, ``yes``/``no`` for a switch, a comma-separated list of rule ids for ``rules``.

    Raises ValueError naming the setting when the text is not of the setting's type; whether
    the value is allowed (above zero, a known severity) is ``load_profile``'s to say, so the
    form, the API and the CLI refuse the same values with the same words.
    """
    if name not in SETTING_NAMES:
        raise ValueError(f"unknown profile setting {name!r}")
    text = text.strip()
    if not text:
        raise ValueError(f"{name}: a value is required")
    kind = Profile.model_fields[name].annotation
    if kind is bool:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValueError(f"{name}: {text!r} is not yes or no")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not a whole number") from None
    if name == "rules":
        return [rule.strip() for rule in text.split(",") if rule.strip()]
    return text
