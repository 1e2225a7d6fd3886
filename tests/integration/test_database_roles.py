"""Each component runs as its own PostgreSQL role, with exactly the grants `db roles` prints."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from events import FieldError, RejectionReason
from services.adapters.kafka import ensure_topics, make_broker
from services.adapters.sql import SqlEventStore, SqlProjectionStore, create_engine, upgrade_schema
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.roles import (
    Component,
    apply_roles,
    create_roles_sql,
    grants_sql,
    role_name,
)
from services.adapters.tansu import EmbeddedBroker
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import FixedClock
from services.demo import demo_day_events
from services.projecting import Projector
from services.recording import Rejection
from tests.conftest import POSTGRES_DSN, _drop_postgres_schema, _postgres_schema, postgres_url
from tests.factories import coordinates, valid
from tests.http.endpoints import READS, VERIFY
from tests.http.serving import serving
from tests.http.support import NOW, issue_tokens, other_clinic_documents

pytestmark = pytest.mark.postgres

GUARDED = ("event_log", "rejected_events", "session_owners")
FORBIDDEN = ("UPDATE {table} SET {column} = {column}", "DELETE FROM {table}", "TRUNCATE {table}")
_A_COLUMN = {"event_log": "hash", "rejected_events": "reason", "session_owners": "clinic_id"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Roles:
    owner: AsyncEngine
    engines: dict[Component, AsyncEngine]


def _url(role: str, schema: str) -> str:
    url = make_url(POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://", 1))
    as_role = url.set(username=role).render_as_string(hide_password=False)
    return f"{as_role}?search_path={schema}"


@pytest.fixture(params=["printed", "applied"])
async def roles(request: pytest.FixtureRequest) -> AsyncIterator[Roles]:
    """A migrated schema and one role per component: granted as `db roles` prints it (the
    owner a role of its own), or by `db roles --apply` (the owner the superuser, as in
    the compose file).

    Roles are cluster-wide and other test runs share the server: the names are random
    and every role is dropped with whatever it owns or was granted.
    """
    prefix = f"kt_{uuid.uuid4().hex[:10]}"
    schema = await _postgres_schema()
    applied = request.param == "applied"
    names = [*([] if applied else [role_name(prefix, None)])]
    names += [role_name(prefix, c) for c in Component]
    admin = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    database = await admin.fetchval("SELECT current_database()")
    engines: list[AsyncEngine] = []
    try:
        if applied:
            owner = create_engine(postgres_url(schema))
            engines.append(owner)
            await upgrade_schema(owner)
            passwords = {c: f"secret:{c.value}'$1" for c in Component}
            await apply_roles(owner, prefix=prefix, passwords=passwords)
        else:
            for statement in create_roles_sql(prefix=prefix, schema=schema, database=database):
                await admin.execute(statement)
            owner = create_engine(_url(role_name(prefix, None), schema))
            engines.append(owner)
            await upgrade_schema(owner)
            async with owner.begin() as connection:
                for statement in grants_sql(prefix=prefix, schema=schema):
                    await connection.execute(text(statement))
        by_component = {c: create_engine(_url(role_name(prefix, c), schema)) for c in Component}
        engines.extend(by_component.values())
        yield Roles(owner=owner, engines=by_component)
    finally:
        for engine in engines:
            await engine.dispose()
        await _drop_postgres_schema(schema)
        for name in names:
            if await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
                await admin.execute(f'DROP OWNED BY "{name}" CASCADE')
                await admin.execute(f'DROP ROLE "{name}"')
        await admin.close()


async def test_the_recorder_projector_and_api_each_work_under_their_own_role(
    roles: Roles, kafka: EmbeddedBroker
) -> None:
    tokens = await issue_tokens(roles.owner)
    recorder, projector, reader = (roles.engines[c] for c in Component)
    for engine in (recorder, projector, reader):
        # Every process runs this at start: with the schema current it only reads.
        await upgrade_schema(engine)

    documents = demo_day_events(now=NOW) + other_clinic_documents()
    refused = Rejection(
        raw=b"{",
        key=None,
        reason=RejectionReason.INVALID_JSON,
        errors=(FieldError(path="(root)", message="truncated"),),
        coordinates=coordinates(),
    )
    outcome = await SqlEventStore(engine=recorder).record(
        valid=[valid(d) for d in documents], invalid=[refused], recorded_at=NOW
    )
    assert (len(outcome.recorded), len(outcome.rejections)) == (len(documents), 1)

    await Projector(store=SqlProjectionStore(engine=projector)).catch_up()

    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    broker = make_broker(bootstrap_servers=kafka.bootstrap_servers)
    await broker.connect()
    try:
        async with serving(
            engine=reader, broker=broker, bootstrap=kafka.bootstrap_servers, tokens=tokens
        ) as api:
            statuses = {
                path: (await api.client.get(path, headers=api.auth("officer"))).status_code
                for path in READS
            }
            verified = await api.client.get(VERIFY, headers=api.auth("admin"))
    finally:
        await broker.stop()
    assert statuses == dict.fromkeys(READS, 200)
    assert verified.status_code == 200
    assert (verified.json()["intact"], verified.json()["events"]) == (True, len(documents))


async def test_no_component_role_may_change_or_empty_the_log(roles: Roles) -> None:
    allowed = []
    for component, engine in roles.engines.items():
        for table in GUARDED:
            for statement in FORBIDDEN:
                sql = statement.format(table=table, column=_A_COLUMN[table])
                try:
                    async with engine.begin() as connection:
                        await connection.execute(text(sql))
                except DBAPIError as error:
                    if "permission denied" in str(error):
                        continue
                allowed.append((component.value, sql))
    # Refused by the missing privilege, not only by the append-only trigger (which
    # the owner, and so a stolen owner password, could disable).
    assert allowed == []


async def test_the_api_role_may_append_the_fresh_checkpoint_an_export_pins(
    roles: Roles,
) -> None:
    reader = roles.engines[Component.READER]
    documents = demo_day_events(now=NOW)
    await SqlEventStore(engine=roles.engines[Component.RECORDER]).record(
        valid=[valid(d) for d in documents], invalid=[], recorded_at=NOW
    )
    writer = CheckpointWriter(
        ledger=SqlCheckpointStore(engine=reader),
        publisher=None,
        signer=Signer.parse(generate_key("kapaudit.local/log").signer),
        origin="kapaudit.local/log",
        clock=FixedClock(at=NOW),
    )

    written = await writer.write()

    latest = await SqlCheckpointStore(engine=reader).latest()
    assert latest is not None
    assert (latest.size, latest.note_text) == (len(documents), written.note)
