"""Every event delivered twice and in a shuffled order: each is recorded once, and every
session's verdict is the one an orderly, single delivery gives."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import ensure_topics
from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.tansu import EmbeddedBroker
from services.clock import SystemClock
from tests.faults.private_postgres import PrivatePostgres
from tests.faults.reliability import Reliability, ScenarioFigures
from tests.faults.support import (
    Scale,
    clinic_fleet,
    count_outcome,
    environment,
    event_ids,
    kapaudit,
    now,
    projected_to_head,
    read_models,
    rebuilt_read_models,
    record_all,
    wait_for,
)

SEED = 7


async def _project(engine: AsyncEngine, env: dict[str, str], name: str) -> None:
    projector = kapaudit("project", env=env, name=name)
    await projector.start()
    try:
        await wait_for(lambda: projected_to_head(engine), within=600, what=f"{name} to catch up")
    finally:
        await projector.stop()


async def _verdicts(engine: AsyncEngine, sessions: set[str]) -> dict[str, Any]:
    queries = SqlComplianceQueries(engine=engine, clock=SystemClock())
    instant = now()
    judged = {}
    for session_id in sorted(sessions):
        verdict = await queries.verdict(session_id, as_of=instant)
        judged[session_id] = (
            verdict.status,
            verdict.protocol,
            tuple((rule.rule_id, rule.outcome) for rule in verdict.rules),
        )
    return judged


async def test_events_delivered_twice_and_out_of_order_are_recorded_once_and_judged_alike(
    kafka: EmbeddedBroker,
    database: tuple[str, AsyncEngine],
    postgres: PrivatePostgres,
    scale: Scale,
    reliability: Reliability,
) -> None:
    url, engine = database
    documents = clinic_fleet(scale.events // 2)
    sessions = {str(d["session_id"]) for d in documents if d.get("session_id")}
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)

    # The reference: each event once, in order, into a database of its own.
    reference_url = await postgres.create_database("faults_reference")
    reference = create_engine(reference_url)
    await upgrade_schema(reference)
    reference_env = {
        **environment(kafka, reference_url),
        "KAPAUDIT_RECORDER_GROUP_ID": "kapaudit-reference",
    }
    try:
        await record_all(kafka, reference, documents, env=reference_env, name="reference")
        await _project(reference, reference_env, "reference-projector")
        expected = await _verdicts(reference, sessions)
    finally:
        await reference.dispose()

    # The same events again on the same topic for a second group: shuffled, each twice.
    chooser = random.Random(SEED)
    twice = documents + documents
    chooser.shuffle(twice)
    env = {**environment(kafka, url), "KAPAUDIT_RECORDER_GROUP_ID": "kapaudit-shuffled"}
    started = asyncio.get_running_loop().time()
    await record_all(
        kafka, engine, twice, env=env, expected=len(documents), name="shuffled-recorder"
    )
    await asyncio.sleep(2)  # any second copy still in flight would be recorded here
    await _project(engine, env, "shuffled-projector")
    recovery = asyncio.get_running_loop().time() - started
    outcome = await count_outcome(engine, event_ids(documents))
    judged = await _verdicts(engine, sessions)
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    differing = sorted(s for s in sessions if judged[s] != expected[s])
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario="Every event delivered twice, out of order",
            injected=f"{len(twice):,} messages: each event twice, shuffled (seed {SEED})",
            recovery_seconds=recovery,
            checks=f"{len(sessions) - len(differing)} of {len(sessions)} verdicts equal the "
            f"in-order delivery's; read models {'equal' if live == rebuilt else 'DIFFER FROM'}"
            " a rebuild",
        )
    )
    assert outcome.lost == 0, sorted(outcome.missing)[:5]
    assert outcome.duplicated == 0
    assert outcome.rejected == 0
    assert outcome.chains_intact
    assert differing == []
    assert live == rebuilt
