"""An event the projections cannot read or fold is skipped on record, never a stall."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore
from services.adapters.sql.read_model_tables import proj_sessions, projection_faults
from services.projecting import Projector
from services.verification import verify_log
from tests.factories import document, stored_under_a_looser_contract, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _faults(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(projection_faults.c.projection, projection_faults.c.event_id).order_by(
                projection_faults.c.projection
            )
        )
        return [tuple(row) for row in rows]


async def test_a_stored_event_the_contract_no_longer_accepts_is_skipped_and_kept_on_record(
    engine: AsyncEngine,
) -> None:
    store = SqlEventStore(engine=engine)
    legacy_id, legacy = stored_under_a_looser_contract("s-legacy")
    before = document("session.started", session_id="s-legacy")
    after = document("session.ended", session_id="s-legacy")
    await store.record(valid=[valid(before)], invalid=[], recorded_at=NOW)
    await store.record(valid=[legacy], invalid=[], recorded_at=NOW)
    await store.record(valid=[valid(after)], invalid=[], recorded_at=NOW)

    projector = Projector(engine=engine)
    assert await projector.catch_up() == 3 * 3  # three projections
    async with engine.connect() as connection:
        history = json.loads(
            (await connection.execute(select(proj_sessions.c.history_json))).scalar_one()
        )
    assert [e["event"]["event_id"] for e in history["events"]] == [
        before["event_id"],
        after["event_id"],
    ]
    assert await _faults(engine) == [
        ("patients", legacy_id),
        ("profiles", legacy_id),
        ("sessions", legacy_id),
    ]
    # The log itself is untouched: the skipped event stays recorded and verified.
    assert (await verify_log(store.rows_by_stream())).intact


async def test_a_rebuild_passes_a_skipped_event_again_and_keeps_one_record_of_it(
    engine: AsyncEngine,
) -> None:
    store = SqlEventStore(engine=engine)
    legacy_id, legacy = stored_under_a_looser_contract("s-legacy")
    await store.record(valid=[legacy], invalid=[], recorded_at=NOW)
    projector = Projector(engine=engine)
    await projector.catch_up()
    assert await projector.rebuild() == 3  # one event, three projections
    assert await _faults(engine) == [
        ("patients", legacy_id),
        ("profiles", legacy_id),
        ("sessions", legacy_id),
    ]
