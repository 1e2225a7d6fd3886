"""The projector against both stores: every event folded once, rebuild equals live."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from projections import SESSIONS
from services.adapters.sql import SqlEventStore
from services.adapters.sql.projection_store import STORED_PROJECTIONS
from services.adapters.sql.read_model_tables import (
    proj_patients,
    proj_sessions,
    projection_checkpoints,
)
from services.projecting import Projector
from tests.factories import document, session_documents, valid

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


async def test_the_projector_folds_every_session_and_patient_event_once(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    docs = [
        document("consent.given"),
        *session_documents("s-1", 5, start=NOW),
        *session_documents("s-2", 3, start=NOW),
    ]
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    projector = Projector(engine=engine, batch_size=3)
    assert await projector.catch_up() == len(STORED_PROJECTIONS) * len(docs)
    assert await projector.catch_up() == 0
    assert sorted(await _session_event_ids(engine)) == sorted(d["event_id"] for d in docs[1:])
    tables = await _tables(engine)
    assert len(tables["proj_patients"]) == 1
    assert {row[1] for row in tables["projection_checkpoints"]} == {len(docs)}


async def test_the_projector_catches_up_after_downtime(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    first, later = (
        session_documents("s-1", 6, start=NOW)[:3],
        session_documents("s-1", 6, start=NOW)[3:],
    )
    projector = Projector(engine=engine)
    await store.record(valid=[valid(d) for d in first], invalid=[], recorded_at=NOW)
    await projector.catch_up()
    await store.record(valid=[valid(d) for d in later], invalid=[], recorded_at=NOW)
    await Projector(engine=engine).catch_up()
    assert sorted(await _session_event_ids(engine)) == sorted(d["event_id"] for d in first + later)


async def test_a_rebuild_gives_the_same_read_models_as_the_live_projector(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    projector = Projector(engine=engine, batch_size=4)
    for i in range(5):
        docs = [
            *session_documents(f"s-{i % 2}", 3, start=NOW),
            document("consent.given", patient_id=f"pt-{i % 3}"),
        ]
        await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
        await projector.step()
    await projector.catch_up()
    live = await _tables(engine)
    assert await Projector(engine=engine).rebuild() == len(STORED_PROJECTIONS) * 20
    assert await _tables(engine) == live


async def test_two_projectors_running_at_once_still_fold_each_event_once(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    docs = [d for s in range(10) for d in session_documents(f"s-{s}", 10, start=NOW)]
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    await asyncio.gather(
        Projector(engine=engine, batch_size=7).catch_up(),
        Projector(engine=engine, batch_size=5).catch_up(),
    )
    ids = await _session_event_ids(engine)
    assert sorted(ids) == sorted(d["event_id"] for d in docs)


def test_an_unknown_projection_name_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown projection nope; known: sessions, patients"):
        Projector(engine=None, names=["nope"])  # type: ignore[arg-type]


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
    await Projector(engine=engine).catch_up()
    await _stale(engine, version=SESSIONS.version - 1)

    await Projector(engine=engine).catch_up()

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
    await Projector(engine=engine).catch_up()
    await _stale(engine, version=SESSIONS.version)

    assert await Projector(engine=engine).catch_up() == 0
    assert len(await _session_event_ids(engine)) == len(docs) - 1


async def test_a_following_projector_folds_a_commit_without_waiting_out_its_poll_interval(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no notices; the projector polls it")
    stop = asyncio.Event()
    # A poll interval far longer than the test may take: only the notice can wake it.
    following = asyncio.create_task(Projector(engine=engine).run(stop, poll_interval=600))
    try:
        await asyncio.sleep(0.5)  # idle, waiting
        [doc] = session_documents("s-woken", 1, start=NOW)
        await store.record(valid=[valid(doc)], invalid=[], recorded_at=NOW)
        async with asyncio.timeout(10):
            # What is awaited is a row in the database: no event to wait on but polling it.
            while doc["event_id"] not in await _session_event_ids(engine):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(following, 10)
