"""The thresholds a report was judged by: each protocol's settings, values and sources.

A small value of its own rather than the ``Profile`` itself: the report keeps what it
printed, with the version of the clinic's profile that was in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from events import Protocol
from projections.compliance import Profile, load_profile
from projections.profiles import ProfileHistory

__all__ = ["ProfileApplied", "SettingApplied", "SettingSource", "thresholds_applied"]


class SettingSource(StrEnum):
    SHIPPED = "shipped default"
    CLINIC = "clinic setting"


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingApplied:
    name: str
    value: str
    """As a person reads it: ``15``, ``yes``, ``moderate``."""
    source: SettingSource


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileApplied:
    """One protocol's profile as the report's verdicts used it."""

    protocol: str
    version: str | None
    """The profile's version in the log (``0``: the shipped defaults)."""
    rules: tuple[str, ...]
    settings: tuple[SettingApplied, ...]


def thresholds_applied(
    profiles: ProfileHistory,
    clinic_id: str,
    protocols: Iterable[Protocol],
    *,
    as_of: datetime,
) -> tuple[ProfileApplied, ...]:
    """The clinic's profile of each protocol in force at ``as_of``, by protocol name.

    A setting whose value differs from the shipped profile's is the clinic's; one equal
    to it reads as the shipped default, which says the same thing about the verdicts.
    """
    return tuple(
        _applied(
            profiles.in_force(clinic_id, protocol, as_of=as_of).profile,
            load_profile(protocol),
            version=profiles.in_force(clinic_id, protocol, as_of=as_of).version,
        )
        for protocol in sorted(set(protocols), key=lambda p: p.value)
    )


def _applied(profile: Profile, shipped: Profile, *, version: int) -> ProfileApplied:
    settings = []
    for name in type(profile).model_fields:
        if name in ("protocol", "rules"):
            continue
        value = getattr(profile, name)
        source = SettingSource.SHIPPED if value == getattr(shipped, name) else SettingSource.CLINIC
        settings.append(SettingApplied(name=name, value=_shown(value), source=source))
    return ProfileApplied(
        protocol=profile.protocol.value,
        version=str(version),
        rules=profile.enabled,
        settings=tuple(settings),
    )


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return value.value
    return str(value)
