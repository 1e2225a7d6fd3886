"""API tokens: only their hashes are stored; revoked tokens stay for the record."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.auth_tables import api_tokens
from services.auth import Principal, Role, hash_token, new_token
from services.auth.ports import TokenInfo, revoked_name

__all__ = ["SqlTokenStore", "TokenInfo"]


class SqlTokenStore:
    """``services.auth.ports.TokenStore`` in the ``api_tokens`` table."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self, *, name: str, role: Role, clinics: Iterable[str], now: datetime
    ) -> tuple[str, Principal]:
        """A new token; the clear text is returned once and never stored."""
        clinic_set = frozenset(clinics)
        if role is not Role.ADMIN and not clinic_set:
            raise ValueError(f"a {role.value} token needs at least one --clinic")
        token = new_token()
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(
                    insert(api_tokens).values(
                        name=name,
                        role=role.value,
                        clinics_json=json.dumps(sorted(clinic_set)),
                        token_sha256=hash_token(token),
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise ValueError(f"a token named {name!r} already exists") from None
        token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return token, Principal(token_id=token_id, name=name, role=role, clinics=clinic_set)

    async def authenticate(self, token: str) -> Principal | None:
        """The principal of a live token, or None (unknown or revoked)."""
        query = select(api_tokens).where(
            api_tokens.c.token_sha256 == hash_token(token), api_tokens.c.revoked_at.is_(None)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return _principal(row) if row is not None else None

    async def list(self) -> list[TokenInfo]:
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(select(api_tokens).order_by(api_tokens.c.id))
            ).mappings()
            return [
                TokenInfo(
                    principal=_principal(row),
                    created_at=row["created_at"],
                    revoked_at=row["revoked_at"],
                )
                for row in rows
            ]

    async def revoke(self, name: str, *, now: datetime) -> bool:
        """Revoke the live token called ``name``; False when there is none."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(api_tokens)
                .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return bool(result.rowcount)

    async def rename_revoked(self, name: str, *, now: datetime) -> None:
        """Free ``name`` for a new token: revoked tokens keep their row under a dated name."""
        async with self._engine.begin() as connection:
            await connection.execute(
                update(api_tokens)
                .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_not(None))
                .values(name=revoked_name(name, now=now))
            )


def _principal(row: object) -> Principal:
    mapping = dict(row)  # type: ignore[call-overload]
    return Principal(
        token_id=int(mapping["id"]),
        name=str(mapping["name"]),
        role=Role(mapping["role"]),
        clinics=frozenset(json.loads(mapping["clinics_json"])),
    )
