"""API tokens in memory: only their hashes kept, as in the SQL store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from services.auth import Principal, Role, hash_token, new_token
from services.auth.ports import TokenInfo, revoked_name

__all__ = ["InMemoryTokenStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    token_id: int
    name: str
    role: Role
    clinics: frozenset[str]
    token_sha256: str
    created_at: datetime
    revoked_at: datetime | None = None

    def principal(self) -> Principal:
        return Principal(
            token_id=self.token_id, name=self.name, role=self.role, clinics=self.clinics
        )


class InMemoryTokenStore:
    """``services.auth.ports.TokenStore`` in a list; ids count from 1, names are unique."""

    def __init__(self) -> None:
        self._rows: list[_Row] = []

    async def create(
        self, *, name: str, role: Role, clinics: Iterable[str], now: datetime
    ) -> tuple[str, Principal]:
        clinic_set = frozenset(clinics)
        if role is not Role.ADMIN and not clinic_set:
            raise ValueError(f"a {role.value} token needs at least one --clinic")
        if any(row.name == name for row in self._rows):
            raise ValueError(f"a token named {name!r} already exists")
        token = new_token()
        row = _Row(
            token_id=len(self._rows) + 1,
            name=name,
            role=role,
            clinics=clinic_set,
            token_sha256=hash_token(token),
            created_at=now,
        )
        self._rows.append(row)
        return token, row.principal()

    async def authenticate(self, token: str) -> Principal | None:
        digest = hash_token(token)
        for row in self._rows:
            if row.token_sha256 == digest and row.revoked_at is None:
                return row.principal()
        return None

    async def list(self) -> list[TokenInfo]:
        return [
            TokenInfo(
                principal=row.principal(), created_at=row.created_at, revoked_at=row.revoked_at
            )
            for row in self._rows
        ]

    async def revoke(self, name: str, *, now: datetime) -> bool:
        revoked = False
        for index, row in enumerate(self._rows):
            if row.name == name and row.revoked_at is None:
                self._rows[index] = replace(row, revoked_at=now)
                revoked = True
        return revoked

    async def rename_revoked(self, name: str, *, now: datetime) -> None:
        for index, row in enumerate(self._rows):
            if row.name == name and row.revoked_at is not None:
                self._rows[index] = replace(row, name=revoked_name(name, now=now))
