"""What token authentication needs from outside: where the tokens' hashes are kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.auth.principal import Principal, Role

__all__ = ["TokenAuthenticator", "TokenInfo", "TokenStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """A token as ``kapaudit tokens list`` shows it (never the token itself)."""

    principal: Principal
    created_at: datetime
    revoked_at: datetime | None


class TokenAuthenticator(Protocol):
    """All a request needs: who holds this bearer token."""

    async def authenticate(self, token: str) -> Principal | None:
        """The principal of a live token, or None (unknown or revoked)."""
        ...


class TokenStore(TokenAuthenticator, Protocol):
    """API tokens: only their hashes are kept; revoked tokens stay for the record."""

    async def create(
        self, *, name: str, role: Role, clinics: Iterable[str], now: datetime
    ) -> tuple[str, Principal]:
        """A new token; the clear text is returned once and never stored.

        Raises ``ValueError`` when a token (live or revoked) already has ``name``, or a
        role other than admin is given no clinic.
        """
        ...

    async def list(self) -> list[TokenInfo]:
        """Every token, revoked ones too, in the order they were created."""
        ...

    async def revoke(self, name: str, *, now: datetime) -> bool:
        """Revoke the live token called ``name``; False when there is none."""
        ...

    async def rename_revoked(self, name: str, *, now: datetime) -> None:
        """Free ``name`` for a new token: revoked tokens keep their record under a dated
        name."""
        ...


def revoked_name(name: str, *, now: datetime) -> str:
    """The name a revoked token keeps once ``name`` is given to a new one."""
    return f"{name}@revoked-{now.strftime('%Y%m%dT%H%M%S%f')}"
