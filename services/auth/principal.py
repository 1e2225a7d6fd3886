"""Who is asking, and what each role may do."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from events import AccessRole

__all__ = ["Principal", "Role", "hash_token", "new_token"]

Role = AccessRole
"""``publisher``, ``compliance_officer``, ``regulator`` or ``admin``; the same values that
``access.recorded`` events carry."""

_PREFIX = "kap_"


def new_token() -> str:
    """A fresh bearer token: 256 random bits, prefixed so that leaks are easy to grep for."""
    return _PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps instead of the token (SHA-256 hex).

    A plain hash suffices: tokens are 256 random bits, so there is nothing to
    guess, and lookup by hash needs no per-token salt.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated token holder."""

    token_id: int
    name: str
    role: Role
    clinics: frozenset[str]
    """The clinics the token is scoped to; ignored for ``admin`` (all clinics)."""

    def covers(self, clinic_id: str) -> bool:
        return self.role is Role.ADMIN or clinic_id in self.clinics

    def may_read(self, clinic_id: str) -> bool:
        """Session, patient and report data of ``clinic_id``."""
        return self.role in (Role.COMPLIANCE_OFFICER, Role.ADMIN) and self.covers(clinic_id)

    def may_export(self, clinic_id: str) -> bool:
        """Export ``clinic_id``'s log for a period: what a regulator is handed."""
        return self.role in (Role.REGULATOR, Role.ADMIN) and self.covers(clinic_id)

    def may_publish(self, clinic_id: str) -> bool:
        return self.role in (Role.PUBLISHER, Role.ADMIN) and self.covers(clinic_id)

    @property
    def may_audit_log(self) -> bool:
        """Read the log's checkpoints and consistency proofs: hashes and sizes only."""
        return self.role in (Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.ADMIN)

    def may_prove(self, clinic_id: str) -> bool:
        """Get the inclusion proof of one of ``clinic_id``'s events (hashes only)."""
        return self.may_audit_log and self.covers(clinic_id)

    @property
    def may_verify(self) -> bool:
        """Start the whole-log check over HTTP. It re-hashes every event (seconds of CPU
        for tens of thousands), so only an admin may, and one check runs at a time."""
        return self.role is Role.ADMIN
