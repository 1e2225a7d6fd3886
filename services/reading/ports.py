"""What the audited reads need from outside: the access log and the sessions' owners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from events import AccessChannel, AccessOutcome
from services.auth import Principal

__all__ = ["AccessLog", "SessionNotFoundError", "SessionOwner", "SessionOwners"]


class AccessLog(Protocol):
    """``access_auditor.AccessAuditor``'s two ways of recording a read."""

    async def record(
        self,
        *,
        principal: Principal,
        channel: AccessChannel,
        resource: str,
        query: Mapping[str, str],
        outcome: AccessOutcome,
        clinic_id: str,
        patient_ids: Iterable[str],
        session_id: str | None = None,
    ) -> object:
        """Publish one record per patient and return once the broker acknowledged them."""

    def record_denial(
        self,
        *,
        principal: Principal,
        channel: AccessChannel,
        resource: str,
        query: Mapping[str, str],
        clinic_id: str,
        patient_id: str,
        session_id: str,
        within: float,
    ) -> object:
        """Start recording a refused read in the background, giving up after ``within``."""


class SessionNotFoundError(LookupError):
    """No session with that id is in the read models (raised by the loaders that read
    them, e.g. ``HistoryQueries``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionOwner:
    """The clinic and patient a session belongs to: all a scope check needs."""

    session_id: str
    clinic_id: str
    patient_id: str


SessionOwners = Callable[[str], Awaitable[tuple[str, str] | None]]
"""A session id's ``(clinic_id, patient_id)``, None when unknown, without loading the
session (``HistoryQueries.clinic_and_patient_of``)."""
