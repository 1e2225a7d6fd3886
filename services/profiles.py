"""Protocol profiles with each clinic's overrides, from ``KAPAUDIT_PROFILES_FILE``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from events import Protocol
from projections.compliance import Profile, load_profile

__all__ = ["ClinicProfiles"]


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
