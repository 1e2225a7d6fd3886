"""The projector killed again and again while it catches up: every read model still
equals a fresh rebuild, each event folded once."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import ensure_topics
from services.adapters.sql.read_model_tables import projection_checkpoints
from services.adapters.tansu import EmbeddedBroker
from tests.faults.reliability import Reliability, ScenarioFigures
from tests.faults.support import (
    Scale,
    clinic_fleet,
    count_outcome,
    environment,
    event_ids,
    kapaudit,
    projected_to_head,
    read_models,
    rebuilt_read_models,
    record_all,
    wait_for,
)

SEED = 41


async def _folded(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return sum((await connection.execute(select(projection_checkpoints.c.position))).scalars())


async def test_a_projector_killed_during_catch_up_still_builds_what_a_rebuild_builds(
    kafka: EmbeddedBroker,
    database: tuple[str, AsyncEngine],
    scale: Scale,
    reliability: Reliability,
) -> None:
    url, engine = database
    # Small projector batches: many commits, so that kills fall between them and inside.
    env = {**environment(kafka, url), "KAPAUDIT_PROJECTOR_BATCH_SIZE": "50"}
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    documents = clinic_fleet(scale.events)
    await record_all(kafka, engine, documents, env=env)
    chooser = random.Random(SEED)
    projector = kapaudit("project", env=env, name="projector")
    await projector.start()
    kills = 0
    while kills < scale.projector_kills and not await projected_to_head(engine):
        before = await _folded(engine)

        async def progressed(floor: int = before) -> bool:
            return await _folded(engine) > floor or await projected_to_head(engine)

        await wait_for(progressed, within=120, what="the projector to fold again")
        await asyncio.sleep(chooser.uniform(0.0, 0.8))
        await projector.kill()
        kills += 1
        await projector.start()
    restarted = asyncio.get_running_loop().time()
    try:
        await wait_for(
            lambda: projected_to_head(engine), within=600, what="the projector to catch up"
        )
    finally:
        await projector.stop()
    recovery = asyncio.get_running_loop().time() - restarted

    outcome = await count_outcome(engine, event_ids(documents))
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario="Projector killed during catch-up",
            injected=f"SIGKILL x{kills} at random (seed {SEED}) while folding a recorded log",
            recovery_seconds=recovery,
            checks=f"chains {'verify' if outcome.chains_intact else 'BROKEN'}; read models "
            f"{'equal' if live == rebuilt else 'DIFFER FROM'} a rebuild",
        )
    )
    assert kills >= min(scale.projector_kills, 1)
    assert outcome.lost == 0
    assert outcome.duplicated == 0
    assert outcome.chains_intact
    assert live == rebuilt
