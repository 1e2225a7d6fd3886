"""The projector on SQL alone: read models left by another fold's version, found in the
tables, and PostgreSQL's notices waking a follower (the port's suite is ``test_projector``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from projections import SESSIONS
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.sql.read_model_tables import (
    proj_patients,
    proj_sessions,
    projection_checkpoints,
)
from services.projecting import Projector
from tests.factories import document, session_documents, valid
from tests.integration.support import wait_until

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _tables(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    async with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in await connection.execute(select(table).order_by(*table.primary_key))
            ]
            for table in (proj_sessions, proj_patients, projection_checkpoints)
        }


async def _session_event_ids(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        histories = (await connection.execute(select(proj_sessions.c.history_json))).scalars()
        return [e["event"]["event_id"] for h in histories for e in json.loads(h)["events"]]


@pytest.fixture
def store(engine: AsyncEngine) -> SqlEventStore:
    return SqlEventStore(engine=engine)


async def test_a_rebuild_writes_the_same_rows_as_the_live_projector(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    # Every column, not only the decoded entries the port's suite compares: the queried
    # columns (clinic, start, last position) and the checkpoints' positions and versions.
    projector = Projector(store=SqlProjectionStore(engine=engine), batch_size=4)
    for i in range(5):
        docs = [
            *session_documents(f"s-{i % 2}", 3, start=NOW),
            document("consent.given", patient_id=f"pt-{i % 3}"),
        ]
        await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
        await projector.step()
    await projector.catch_up()
    live = await _tables(engine)
    assert await Projector(store=SqlProjectionStore(engine=engine)).rebuild() == 3 * 20
    assert await _tables(engine) == live


async def _stale(engine: AsyncEngine, *, version: int) -> None:
    """Leave the sessions read model as an older fold might have: one event short."""
    async with engine.begin() as connection:
        query = select(proj_sessions.c.session_id, proj_sessions.c.history_json)
        [(session_id, history_json)] = (await connection.execute(query)).all()
        history = json.loads(history_json)
        history["events"] = history["events"][:-1]
        await connection.execute(
            update(proj_sessions)
            .where(proj_sessions.c.session_id == session_id)
            .values(history_json=json.dumps(history))
        )
        await connection.execute(
            update(projection_checkpoints)
            .where(projection_checkpoints.c.name == SESSIONS.name)
            .values(version=version)
        )


async def test_a_read_model_built_by_an_older_fold_version_is_rebuilt_from_the_log(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    docs = session_documents("s-1", 4, start=NOW)
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()
    await _stale(engine, version=SESSIONS.version - 1)
    # Folded to the end, but by another fold: the whole log is ahead of its rebuild.
    progress = await SqlProjectionStore(engine=engine).progress(SESSIONS.name)
    assert (progress.checkpoint, progress.head) == (len(docs), len(docs))
    assert progress.oldest_unfolded_at == NOW

    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()

    assert sorted(await _session_event_ids(engine)) == sorted(d["event_id"] for d in docs)
    async with engine.connect() as connection:
        checkpoint = (
            await connection.execute(
                select(projection_checkpoints.c.position, projection_checkpoints.c.version).where(
                    projection_checkpoints.c.name == SESSIONS.name
                )
            )
        ).one()
    assert tuple(checkpoint) == (len(docs), SESSIONS.version)


async def test_a_read_model_of_the_current_fold_version_is_not_rebuilt(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    docs = session_documents("s-1", 4, start=NOW)
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()
    await _stale(engine, version=SESSIONS.version)

    assert await Projector(store=SqlProjectionStore(engine=engine)).catch_up() == 0
    assert len(await _session_event_ids(engine)) == len(docs) - 1


async def test_a_following_projector_folds_a_commit_without_waiting_out_its_poll_interval(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no notices; the projector polls it")
    stop = asyncio.Event()
    # A poll interval far longer than the test may take: only the notice can wake it.
    following = asyncio.create_task(
        Projector(store=SqlProjectionStore(engine=engine)).run(stop, poll_interval=600)
    )
    try:
        await asyncio.sleep(0.5)  # idle, waiting
        [doc] = session_documents("s-woken", 1, start=NOW)
        await store.record(valid=[valid(doc)], invalid=[], recorded_at=NOW)

        async def folded() -> bool:
            return doc["event_id"] in await _session_event_ids(engine)

        await wait_until(folded, within=10, what="the projector to fold the commit")
    finally:
        stop.set()
        await asyncio.wait_for(following, 10)
