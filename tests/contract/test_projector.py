"""The projector on every projection store (memory, SQLite, PostgreSQL): every event
folded once, a batch all or nothing, a rebuild equal to following the log, and each read
model equal to the pure fold of the log it was built from."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from events import EventRejected, read_stored_event
from projections import PROJECTIONS, SESSIONS, Recorded, fold
from services.adapters.memory import InMemoryEventStore, InMemoryProjectionStore
from services.projecting import Projector
from services.projecting.ports import ProjectionStore
from services.verification import verify_log
from tests.contract.conftest import Backend, LogStore
from tests.factories import document, session_documents, stored_under_a_looser_contract, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _record(log: LogStore, docs: list[dict[str, Any]]) -> None:
    await log.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)


async def _session_event_ids(store: ProjectionStore) -> list[str]:
    histories = (await store.entries(SESSIONS.name)).values()
    return [str(folded.event.event_id) for history in histories for folded in history.events]


async def _everything(store: ProjectionStore) -> dict[str, dict[Any, Any]]:
    return {name: await store.entries(name) for name in store.projections}


async def _fold_of(log: LogStore) -> dict[str, dict[Any, Any]]:
    """What each read model must hold: the pure fold of every readable event in the log."""
    recorded = []
    for row in await log.rows(after_position=0, limit=100_000):
        try:
            event = read_stored_event(row.event_json)
        except EventRejected:
            continue
        recorded.append(Recorded(event=event, position=row.position, recorded_at=row.recorded_at))
    return {
        name: fold(projection, {}, recorded, on_fault=lambda *_: None)
        for name, projection in PROJECTIONS.items()
    }


async def test_the_projector_folds_every_session_and_patient_event_once(backend: Backend) -> None:
    log, store = backend.event_store(), backend.projection_store()
    docs = [
        document("consent.given"),
        *session_documents("s-1", 5, start=NOW),
        *session_documents("s-2", 3, start=NOW),
    ]
    await _record(log, docs)
    projector = Projector(store=store, batch_size=3)
    assert await projector.catch_up() == len(store.projections) * len(docs)
    assert await projector.catch_up() == 0
    assert sorted(await _session_event_ids(store)) == sorted(d["event_id"] for d in docs[1:])
    assert len(await store.entries("patients")) == 1
    for name in store.projections:
        progress = await store.progress(name)
        assert (progress.head, progress.checkpoint) == (len(docs), len(docs))
        assert progress.built_by == store.projections[name].version
        assert progress.oldest_unfolded_at is None


async def test_every_read_model_equals_the_pure_fold_of_the_log(backend: Backend) -> None:
    log, store = backend.event_store(), backend.projection_store()
    for i in range(6):
        await _record(
            log,
            [
                *session_documents(f"s-{i % 3}", 2, start=NOW),
                document("consent.given", patient_id=f"pt-{i % 2}"),
            ],
        )
        await Projector(store=store, batch_size=5).step()
    await Projector(store=store).catch_up()
    assert await _everything(store) == await _fold_of(log)


async def test_the_projector_catches_up_after_downtime(backend: Backend) -> None:
    log, store = backend.event_store(), backend.projection_store()
    docs = session_documents("s-1", 6, start=NOW)
    await _record(log, docs[:3])
    await Projector(store=store).catch_up()
    progress = await store.progress(SESSIONS.name)
    assert (progress.head, progress.checkpoint) == (3, 3)

    await _record(log, docs[3:])
    behind = await store.progress(SESSIONS.name)
    assert (behind.head, behind.checkpoint, behind.oldest_unfolded_at) == (6, 3, NOW)
    await Projector(store=backend.projection_store()).catch_up()
    assert sorted(await _session_event_ids(store)) == sorted(d["event_id"] for d in docs)


async def test_a_rebuild_gives_the_same_read_models_as_the_live_projector(
    backend: Backend,
) -> None:
    log, store = backend.event_store(), backend.projection_store()
    projector = Projector(store=store, batch_size=4)
    for i in range(5):
        docs = [
            *session_documents(f"s-{i % 2}", 3, start=NOW),
            document("consent.given", patient_id=f"pt-{i % 3}"),
        ]
        await _record(log, docs)
        await projector.step()
    await projector.catch_up()
    live = await _everything(store)
    assert await Projector(store=store).rebuild() == len(store.projections) * 20
    assert await _everything(store) == live


async def test_two_projectors_running_at_once_still_fold_each_event_once(
    backend: Backend,
) -> None:
    log = backend.event_store()
    docs = [d for s in range(10) for d in session_documents(f"s-{s}", 10, start=NOW)]
    await _record(log, docs)
    folded = await asyncio.gather(
        Projector(store=backend.projection_store(), batch_size=7).catch_up(),
        Projector(store=backend.projection_store(), batch_size=5).catch_up(),
    )
    # Folding a batch twice would leave the entries as they were (evolve skips an event
    # it has seen), so the count is what shows each event was folded by one of the two.
    assert sum(folded) == len(PROJECTIONS) * len(docs)
    ids = await _session_event_ids(backend.projection_store())
    assert sorted(ids) == sorted(d["event_id"] for d in docs)


async def _fold_without_finishing(store: ProjectionStore) -> None:
    """Do all of a batch's work, then fail before its transaction ends."""
    async with store.transaction(SESSIONS.name) as batch:
        await batch.clear()
        rows = await batch.rows_after(0, limit=10)
        events = [
            Recorded(
                event=read_stored_event(r.event_json),
                position=r.position,
                recorded_at=r.recorded_at,
            )
            for r in rows
        ]
        await batch.fold(events, on_fault=lambda *_: None, judge=False)
        await batch.move_checkpoint(rows[-1].position)
        raise InterruptedError("the process stopped here")


async def test_a_batch_that_fails_before_its_end_leaves_entries_and_checkpoint_as_they_were(
    backend: Backend,
) -> None:
    log, store = backend.event_store(), backend.projection_store()
    await _record(log, session_documents("s-1", 3, start=NOW))

    with pytest.raises(InterruptedError):
        await _fold_without_finishing(store)

    assert await store.entries(SESSIONS.name) == {}
    assert (await store.progress(SESSIONS.name)).checkpoint == 0
    # The next projector folds the whole batch, once.
    await Projector(store=store).catch_up()
    assert len(await _session_event_ids(store)) == 3


async def test_a_stored_event_the_contract_no_longer_accepts_is_skipped_and_kept_on_record(
    backend: Backend,
) -> None:
    log, store = backend.event_store(), backend.projection_store()
    legacy_id, legacy = stored_under_a_looser_contract("s-legacy")
    before = document("session.started", session_id="s-legacy")
    after = document("session.ended", session_id="s-legacy")
    await _record(log, [before])
    await log.record(valid=[legacy], invalid=[], recorded_at=NOW)
    await _record(log, [after])

    assert await Projector(store=store).catch_up() == 3 * 3  # three projections
    assert await _session_event_ids(store) == [before["event_id"], after["event_id"]]
    faults = await store.faults()
    assert [(f.projection, f.event_id, f.position) for f in faults] == [
        ("patients", legacy_id, 2),
        ("profiles", legacy_id, 2),
        ("sessions", legacy_id, 2),
    ]
    assert all(f.problem.startswith("EventRejected: ") for f in faults)
    # The log itself is untouched: the skipped event stays recorded and verified.
    assert (await verify_log(log.rows_by_stream())).intact


async def test_a_rebuild_passes_a_skipped_event_again_and_keeps_one_record_of_it(
    backend: Backend,
) -> None:
    log, store = backend.event_store(), backend.projection_store()
    legacy_id, legacy = stored_under_a_looser_contract("s-legacy")
    await log.record(valid=[legacy], invalid=[], recorded_at=NOW)
    projector = Projector(store=store)
    await projector.catch_up()
    assert await projector.rebuild() == 3  # one event, three projections
    assert [(f.projection, f.event_id) for f in await store.faults()] == [
        ("patients", legacy_id),
        ("profiles", legacy_id),
        ("sessions", legacy_id),
    ]


async def test_a_projector_told_only_some_projections_leaves_the_others_unbuilt(
    backend: Backend,
) -> None:
    log, store = backend.event_store(), backend.projection_store()
    await _record(log, session_documents("s-1", 2, start=NOW))
    assert await Projector(store=store, names=["sessions"]).catch_up() == 2
    assert (await store.progress("patients")).checkpoint == 0
    assert await store.entries("patients") == {}


def test_an_unknown_projection_name_is_refused_naming_the_known_ones() -> None:
    store = InMemoryProjectionStore(log=InMemoryEventStore())
    with pytest.raises(ValueError, match="unknown projection nope; known: sessions, patients"):
        Projector(store=store, names=["nope"])
