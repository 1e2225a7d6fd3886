"""A clinic's profile versions per protocol: the pure fold of ``profile.changed``.

Version 0 is the shipped defaults, with their sources; version N is the clinic's Nth
accepted change of that protocol. The profile in force at an instant T is the last
version that took effect by T (``occurred_at <= T``) and that the log held by T
(``recorded_at <= T``): the second condition keeps a change published later with an
earlier effect from rewriting a verdict as it stood before the change was recorded.

A change must take effect no earlier than the version before it, so versions are in
force in their own order and "the version in force" is one number; a change that breaks
that, or that would make an incoherent profile (an unknown rule id, a window that ends
before it starts), raises, and the projector keeps it on record as a fault.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from events import ProfileChanged, Protocol
from projections.compliance import Profile, load_profile
from projections.compliance.profile import shipped_sources
from projections.recorded import Recorded

__all__ = [
    "ProfileHistory",
    "ProfileVersion",
    "ProtocolProfile",
    "evolve_profile",
    "profile_key_of",
    "profile_keys",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileVersion:
    """One version of a clinic's profile of a protocol, and the change that made it."""

    version: int
    profile: Profile
    """Every setting as this version left it (``profile.version == version``)."""
    changed: Mapping[str, Any]
    """The settings this version changed (empty for version 0)."""
    author: str | None = None
    """Who decided the change; None for the shipped defaults."""
    reason: str | None = None
    effective_at: datetime | None = None
    """From when it applies (the event's ``occurred_at``); None for the shipped defaults."""
    recorded_at: datetime | None = None
    event_id: str | None = None
    position: int = 0

    def source_of(self, setting: str, history: Iterable[ProfileVersion] = ()) -> str:
        """Where ``setting``'s value comes from: the shipped source, or the version that set
        it (looked up in ``history``, the versions up to this one)."""
        for earlier in sorted(history, key=lambda v: v.version, reverse=True):
            if earlier.version <= self.version and setting in earlier.changed:
                return f"version {earlier.version} by {earlier.author}: {earlier.reason}"
        return f"shipped default: {shipped_sources(self.profile.protocol).get(setting, '')}"


@functools.cache
def _shipped(protocol: Protocol) -> ProfileVersion:
    # Cached: the shipped files do not change while the process runs, and every clinic
    # without a change of its own asks for them once per session judged or served.
    return ProfileVersion(version=0, profile=load_profile(protocol), changed=MappingProxyType({}))


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolProfile:
    """Every version of one clinic's profile of one protocol, version 0 first."""

    clinic_id: str
    protocol: Protocol
    versions: tuple[ProfileVersion, ...]

    @classmethod
    def shipped(cls, clinic_id: str, protocol: Protocol) -> ProtocolProfile:
        return cls(clinic_id=clinic_id, protocol=protocol, versions=(_shipped(protocol),))

    @property
    def latest(self) -> ProfileVersion:
        return self.versions[-1]

    def following(self, changed: Mapping[str, Any]) -> Profile:
        """The profile ``changed`` would make as the next version: the latest version's
        settings with ``changed`` replacing some. Raises ValueError as ``load_profile``
        does (IncoherentProfile when the settings do not make a profile together)."""
        settings: dict[str, Any] = {}
        for earlier in self.versions:
            settings.update(earlier.changed)
        settings.update(changed)
        return load_profile(self.protocol, overrides=settings, version=self.latest.version + 1)

    def too_early(self, effective_at: datetime) -> str | None:
        """Why a change taking effect at ``effective_at`` may not follow the latest version
        (versions are in force in their own order), or None."""
        latest = self.latest
        if latest.effective_at is None or effective_at >= latest.effective_at:
            return None
        return (
            f"takes effect before version {latest.version} ({latest.effective_at.isoformat()}), "
            f"at {effective_at.isoformat()}; a change may not take effect before the version "
            "it follows"
        )

    def in_force(self, instant: datetime) -> ProfileVersion:
        """The version in force at ``instant`` (see the module's rule)."""
        found = self.versions[0]
        for version in self.versions[1:]:
            # Versions after 0 always carry both instants; the fallback only satisfies mypy.
            effective = version.effective_at or instant
            recorded = version.recorded_at or instant
            if effective <= instant and recorded <= instant:
                found = version
        return found

    def next_change(self, after: datetime) -> datetime | None:
        """The first instant after ``after`` at which another version comes into force
        (by taking effect, or by being recorded when it was back-dated); None if none."""
        instants = [
            max(version.effective_at, version.recorded_at)
            for version in self.versions[1:]
            if version.effective_at is not None and version.recorded_at is not None
        ]
        return min((instant for instant in instants if instant > after), default=None)

    def to_document(self) -> dict[str, Any]:
        # Only the changes: version 0 and every full profile are rebuilt from the shipped
        # files, so the read model never holds a second copy of the defaults.
        return {
            "clinic_id": self.clinic_id,
            "protocol": self.protocol.value,
            "changes": [
                {
                    "version": v.version,
                    "changed": dict(v.changed),
                    "author": v.author,
                    "reason": v.reason,
                    "effective_at": v.effective_at.isoformat() if v.effective_at else None,
                    "recorded_at": v.recorded_at.isoformat() if v.recorded_at else None,
                    "event_id": v.event_id,
                    "position": v.position,
                }
                for v in self.versions[1:]
            ],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ProtocolProfile:
        protocol = Protocol(document["protocol"])
        state = cls.shipped(document["clinic_id"], protocol)
        for change in document["changes"]:
            state = state._with(
                changed=change["changed"],
                author=change["author"],
                reason=change["reason"],
                effective_at=datetime.fromisoformat(change["effective_at"]),
                recorded_at=datetime.fromisoformat(change["recorded_at"]),
                event_id=change["event_id"],
                position=change["position"],
            )
        return state

    def _with(
        self,
        *,
        changed: Mapping[str, Any],
        author: str,
        reason: str,
        effective_at: datetime,
        recorded_at: datetime,
        event_id: str,
        position: int,
    ) -> ProtocolProfile:
        early = self.too_early(effective_at)
        if early is not None:
            raise ValueError(f"profile.changed {early}")
        latest = self.latest
        version = ProfileVersion(
            version=latest.version + 1,
            profile=self.following(changed),
            changed=MappingProxyType(dict(changed)),
            author=author,
            reason=reason,
            effective_at=effective_at,
            recorded_at=recorded_at,
            event_id=event_id,
            position=position,
        )
        return replace(self, versions=(*self.versions, version))


def profile_key_of(*, clinic_id: str, protocol: Protocol | str) -> str:
    """The key of a clinic's profile of a protocol (clinic ids never contain ``/``)."""
    return f"{clinic_id}/{Protocol(protocol).value}"


def profile_keys(recorded: Recorded) -> tuple[str, ...]:
    """The profile a ``profile.changed`` changes; no other event touches one."""
    event = recorded.event
    if not isinstance(event, ProfileChanged):
        return ()
    return (profile_key_of(clinic_id=event.clinic_id, protocol=event.payload.protocol),)


def evolve_profile(
    state: ProtocolProfile | None, recorded: Recorded, *, key: str
) -> ProtocolProfile:
    """Fold one ``profile.changed`` into its profile: the next version, or ValueError when
    the change is not a coherent profile; a position already folded changes nothing."""
    event = recorded.event
    assert isinstance(event, ProfileChanged)
    if state is None:
        state = ProtocolProfile.shipped(event.clinic_id, event.payload.protocol)
    if recorded.position <= state.latest.position:
        return state
    return state._with(
        changed=event.payload.settings.changed(),
        author=event.payload.author,
        reason=event.payload.reason,
        effective_at=event.occurred_at,
        recorded_at=recorded.recorded_at,
        event_id=recorded.event_id,
        position=recorded.position,
    )


class ProfileHistory:
    """The profiles of some clinics, version by version: which thresholds were in force.

    A clinic and protocol without any change has only version 0, the shipped defaults.
    """

    def __init__(self, profiles: Iterable[ProtocolProfile] = ()) -> None:
        self._profiles = {(p.clinic_id, p.protocol): p for p in profiles}

    def of(self, clinic_id: str, protocol: Protocol) -> ProtocolProfile:
        """Every version of the clinic's profile of ``protocol``."""
        found = self._profiles.get((clinic_id, protocol))
        return found if found is not None else ProtocolProfile.shipped(clinic_id, protocol)

    def in_force(self, clinic_id: str, protocol: Protocol, *, as_of: datetime) -> ProfileVersion:
        """The version of the clinic's profile of ``protocol`` in force at ``as_of``."""
        return self.of(clinic_id, protocol).in_force(as_of)

    def profile_at(self, clinic_id: str, protocol: Protocol, *, as_of: datetime) -> Profile:
        """The settings in force at ``as_of``, labelled with their version."""
        return self.in_force(clinic_id, protocol, as_of=as_of).profile

    def has_changes(self, clinic_id: str, protocol: Protocol) -> bool:
        """Whether the log holds any accepted change of this profile."""
        return len(self.of(clinic_id, protocol).versions) > 1
