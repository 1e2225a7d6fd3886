"""The token store's contract, on memory, SQLite and PostgreSQL: only hashes kept,
revocation, names unique."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.adapters.memory import InMemoryTokenStore
from services.adapters.sql.auth_tables import api_tokens
from services.auth import Role
from services.auth.ports import TokenStore
from tests.contract.conftest import Backend

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _stored_values(backend: Backend, store: TokenStore) -> set[str]:
    """Everything the store keeps of its tokens, as text."""
    if backend.engine is not None:
        async with backend.engine.connect() as connection:
            rows = (await connection.execute(select(api_tokens))).mappings().all()
        return {str(value) for row in rows for value in row.values()}
    assert isinstance(store, InMemoryTokenStore)
    return {str(getattr(row, f.name)) for row in store._rows for f in dataclasses.fields(row)}


async def test_a_created_token_authenticates_and_only_its_hash_is_stored(
    backend: Backend,
) -> None:
    store = backend.token_store()
    token, principal = await store.create(
        name="anna", role=Role.COMPLIANCE_OFFICER, clinics=["clinic-a"], now=NOW
    )
    assert await store.authenticate(token) == principal
    assert await store.authenticate(token + "x") is None
    stored = await _stored_values(backend, store)
    assert "anna" in stored
    assert token not in stored


async def test_a_revoked_token_no_longer_authenticates(backend: Backend) -> None:
    store = backend.token_store()
    token, _ = await store.create(name="pub", role=Role.PUBLISHER, clinics=["clinic-a"], now=NOW)
    assert await store.revoke("pub", now=NOW)
    assert await store.authenticate(token) is None
    assert not await store.revoke("pub", now=NOW)
    [info] = await store.list()
    assert info.revoked_at == NOW


async def test_token_names_are_unique_and_scoped_roles_need_a_clinic(backend: Backend) -> None:
    store = backend.token_store()
    await store.create(name="anna", role=Role.ADMIN, clinics=[], now=NOW)
    with pytest.raises(ValueError, match="already exists"):
        await store.create(name="anna", role=Role.ADMIN, clinics=[], now=NOW)
    with pytest.raises(ValueError, match="needs at least one --clinic"):
        await store.create(name="bob", role=Role.PUBLISHER, clinics=[], now=NOW)
    assert [info.principal.name for info in await store.list()] == ["anna"]


async def test_a_revoked_name_stays_taken_until_renamed_then_the_old_token_keeps_its_record(
    backend: Backend,
) -> None:
    store = backend.token_store()
    old, first = await store.create(name="ops", role=Role.ADMIN, clinics=[], now=NOW)
    await store.revoke("ops", now=NOW)
    with pytest.raises(ValueError, match="already exists"):
        await store.create(name="ops", role=Role.ADMIN, clinics=[], now=NOW)
    later = NOW + timedelta(hours=1)
    await store.rename_revoked("ops", now=later)
    new, second = await store.create(name="ops", role=Role.ADMIN, clinics=[], now=later)
    assert second.token_id != first.token_id
    assert await store.authenticate(new) == second
    assert await store.authenticate(old) is None
    listed = await store.list()
    assert [(i.principal.name, i.revoked_at) for i in listed] == [
        ("ops@revoked-20261125T100000000000", NOW),
        ("ops", None),
    ]
    assert [i.principal.token_id for i in listed] == [first.token_id, second.token_id]


async def test_renaming_leaves_a_live_token_alone_and_lists_in_creation_order(
    backend: Backend,
) -> None:
    store = backend.token_store()
    token, live = await store.create(
        name="zed", role=Role.REGULATOR, clinics=["clinic-b", "clinic-a"], now=NOW
    )
    await store.create(name="amy", role=Role.ADMIN, clinics=[], now=NOW)
    await store.rename_revoked("zed", now=NOW)
    assert await store.authenticate(token) == live
    assert live.clinics == frozenset({"clinic-a", "clinic-b"})
    assert [i.principal.name for i in await store.list()] == ["zed", "amy"]
