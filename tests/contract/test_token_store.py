"""API tokens on both stores: only hashes kept, revocation, names unique."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.auth_tables import api_tokens
from services.adapters.sql.token_store import SqlTokenStore
from services.auth import Role

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def test_a_created_token_authenticates_and_only_its_hash_is_stored(
    engine: AsyncEngine,
) -> None:
    store = SqlTokenStore(engine=engine)
    token, principal = await store.create(
        name="anna", role=Role.COMPLIANCE_OFFICER, clinics=["clinic-a"], now=NOW
    )
    assert await store.authenticate(token) == principal
    assert await store.authenticate(token + "x") is None
    async with engine.connect() as connection:
        stored = (await connection.execute(select(api_tokens))).mappings().one()
    assert token not in {str(value) for value in stored.values()}


async def test_a_revoked_token_no_longer_authenticates(engine: AsyncEngine) -> None:
    store = SqlTokenStore(engine=engine)
    token, _ = await store.create(name="pub", role=Role.PUBLISHER, clinics=["clinic-a"], now=NOW)
    assert await store.revoke("pub", now=NOW)
    assert await store.authenticate(token) is None
    assert not await store.revoke("pub", now=NOW)
    [info] = await store.list()
    assert info.revoked_at == NOW


async def test_token_names_are_unique_and_scoped_roles_need_a_clinic(engine: AsyncEngine) -> None:
    store = SqlTokenStore(engine=engine)
    await store.create(name="anna", role=Role.ADMIN, clinics=[], now=NOW)
    with pytest.raises(ValueError, match="already exists"):
        await store.create(name="anna", role=Role.ADMIN, clinics=[], now=NOW)
    with pytest.raises(ValueError, match="needs at least one --clinic"):
        await store.create(name="bob", role=Role.PUBLISHER, clinics=[], now=NOW)
