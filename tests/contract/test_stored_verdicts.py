"""Stored verdicts answer exactly what judging on demand answers, on both stores.

The demo month is recorded batch by batch at the times a live recorder would have, and
projected with the clock held at the month's end. The clinic report and every session's
verdict, read through the stored rows, must equal those judged from the histories: at the
instant the rows were judged, a little later, after deadlines passed (before and after
the projector judges the expired rows again), after a profile change, and as of a past
instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from projections.reports import ClinicReport, build_clinic_report
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.sql.read_model_tables import proj_sessions, proj_verdicts
from services.adapters.sql.verdict_store import servable, stored_rows_query, zone_key
from services.clinic_zones import ClinicZones
from services.clock import FixedClock
from services.demo import demo_month
from services.projecting import Projector
from tests.factories import at, document, valid

NOW = datetime(2026, 11, 24, 20, 10, tzinfo=UTC)
CLINIC = "clinic-demo"
START, END = NOW - timedelta(days=30), NOW + timedelta(days=1)
ZONES = ClinicZones(clinics={CLINIC: "America/Denver"})


async def _month(engine: AsyncEngine) -> tuple[Projector, FixedClock, SqlComplianceQueries]:
    store = SqlEventStore(engine=engine)
    for batch in demo_month(now=NOW).batches:
        docs = [valid(dict(d), offset=None) for d in batch.documents]
        await store.record(valid=docs, invalid=[], recorded_at=batch.record_at)
    clock = FixedClock(at=NOW)
    projector = Projector(
        store=SqlProjectionStore(engine=engine, clock=clock, zones=ZONES), clock=clock
    )
    await projector.catch_up()
    return projector, clock, SqlComplianceQueries(engine=engine, clock=clock, zones=ZONES)


async def _assert_stored_equals_on_demand(queries: SqlComplianceQueries, as_of: datetime) -> None:
    on_demand = await queries.verdicts(CLINIC, start=START, end=END, as_of=as_of)
    expected = [(v, s.scheduled_start or s.first_occurred_at) for s, v in on_demand]
    assert await queries.judged_starts(CLINIC, start=START, end=END, as_of=as_of) == expected
    report = await queries.clinic_report(CLINIC, start=START, end=END, as_of=as_of)
    judged_report = await _report_on_demand(queries, as_of)
    assert report == judged_report
    # Equal instants can still be told in other offsets; a report says them in words.
    assert [str(f.session_start) for f in report.failing_sessions] == [
        str(f.session_start) for f in judged_report.failing_sessions
    ]
    for session, verdict in on_demand:
        assert await queries.verdict(session.session_id, as_of=as_of) == verdict


async def _report_on_demand(queries: SqlComplianceQueries, as_of: datetime) -> ClinicReport:
    judged = await queries.verdicts(CLINIC, start=START, end=END, as_of=as_of)
    return build_clinic_report(
        ((v, s.scheduled_start or s.first_occurred_at) for s, v in judged),
        clinic_id=CLINIC,
        start=START,
        end=END,
        as_of=as_of,
    )


async def _served(engine: AsyncEngine, queries: SqlComplianceQueries, as_of: datetime) -> float:
    """The share of the month's sessions whose stored row would be served at ``as_of``."""
    profiles = await queries.profile_history([CLINIC])
    async with engine.connect() as connection:
        rows = (
            await connection.execute(stored_rows_query().where(proj_sessions.c.clinic_id == CLINIC))
        ).all()
    zone = zone_key(ZONES, CLINIC)
    served = [servable(r, as_of=as_of, zone=zone, profiles=profiles) for r in rows]
    return sum(served) / len(served)


async def test_stored_verdicts_equal_judging_on_demand_at_the_instant_they_were_judged(
    engine: AsyncEngine,
) -> None:
    _, _, queries = await _month(engine)
    assert await _served(engine, queries, NOW) > 0.8
    await _assert_stored_equals_on_demand(queries, NOW)
    await _assert_stored_equals_on_demand(queries, NOW + timedelta(seconds=40))


async def test_stored_verdicts_equal_judging_on_demand_after_deadlines_pass(
    engine: AsyncEngine,
) -> None:
    projector, clock, queries = await _month(engine)
    later = NOW + timedelta(days=8)
    clock.set(later)
    # Expired rows (notes and forms now overdue) are judged on read...
    assert await _served(engine, queries, later) < 1
    await _assert_stored_equals_on_demand(queries, later)
    # ...until the projector judges them again.
    assert await projector.refresh_verdicts() > 0
    assert await _served(engine, queries, later) > 0.8
    await _assert_stored_equals_on_demand(queries, later)


async def test_stored_verdicts_equal_judging_on_demand_after_a_profile_change(
    engine: AsyncEngine,
) -> None:
    projector, clock, queries = await _month(engine)
    changed_at = NOW + timedelta(hours=2)
    change = at(
        document(
            "profile.changed",
            clinic_id=CLINIC,
            payload={
                "protocol": "iv-ketamine",
                "settings": {"monitoring_max_gap_minutes": 9},
                "reason": "Tighter monitoring.",
            },
        ),
        changed_at,
    )
    store = SqlEventStore(engine=engine)
    await store.record(valid=[valid(change)], invalid=[], recorded_at=changed_at)
    clock.set(changed_at + timedelta(minutes=5))
    await projector.catch_up()
    after = changed_at + timedelta(minutes=5)
    await _assert_stored_equals_on_demand(queries, after)
    await projector.refresh_verdicts()
    await _assert_stored_equals_on_demand(queries, after)
    report = await queries.clinic_report(CLINIC, start=START, end=END, as_of=after)
    before = await queries.clinic_report(CLINIC, start=START, end=END, as_of=NOW)
    assert report != before


async def test_verdicts_as_of_a_past_instant_are_judged_on_demand(engine: AsyncEngine) -> None:
    _, _, queries = await _month(engine)
    past = NOW - timedelta(days=5, hours=3)
    assert await _served(engine, queries, past) == 0
    await _assert_stored_equals_on_demand(queries, past)


async def test_a_rebuild_stores_the_verdicts_that_following_the_log_stored(
    engine: AsyncEngine,
) -> None:
    projector, _, _ = await _month(engine)
    followed = await _verdict_rows(engine)

    await projector.rebuild()

    assert await _verdict_rows(engine) == followed
    assert len(followed) > 100


async def _verdict_rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(proj_verdicts).order_by(proj_verdicts.c.session_id))
        return [tuple(row) for row in rows]


async def test_verdicts_judged_by_older_rules_are_judged_again_after_an_upgrade(
    engine: AsyncEngine,
) -> None:
    _, clock, queries = await _month(engine)
    async with engine.begin() as connection:
        await connection.execute(update(proj_verdicts).values(verdict_version=0))
    assert await _served(engine, queries, NOW) == 0

    # A projector started after the upgrade finds them, though none has expired.
    upgraded = Projector(
        store=SqlProjectionStore(engine=engine, clock=clock, zones=ZONES), clock=clock
    )
    while await upgraded.refresh_verdicts(limit=50):
        pass

    assert await _served(engine, queries, NOW) > 0.8
    await _assert_stored_equals_on_demand(queries, NOW)
