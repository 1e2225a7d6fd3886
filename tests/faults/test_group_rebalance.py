"""Two recorders and two projectors share the work; one of each is killed while the
recorders' group rebalances: the survivors finish it, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import EventPublisher, ensure_topics
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
    recorded_count,
    wait_for,
)


async def test_a_recorder_and_a_projector_killed_during_a_rebalance_leave_nothing_undone(
    kafka: EmbeddedBroker,
    database: tuple[str, AsyncEngine],
    scale: Scale,
    reliability: Reliability,
) -> None:
    url, engine = database
    env = {**environment(kafka, url), "KAPAUDIT_PROJECTOR_BATCH_SIZE": "100"}
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    documents = clinic_fleet(scale.events)
    first, second = (kapaudit("record", env=env, name=f"recorder-{n}") for n in (1, 2))
    projectors = [kapaudit("project", env=env, name=f"projector-{n}") for n in (1, 2)]
    for projector in projectors:
        await projector.start()
    await first.start()
    # A quarter first, the rest once the first recorder is dead: whatever the machine's
    # speed, the kill falls mid-stream and the survivor has work that was never assigned.
    quarter = len(documents) // 4
    async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
        publishing = asyncio.create_task(publisher.publish_many(documents[:quarter]))

        async def recording() -> bool:
            return await recorded_count(engine) > 0

        await wait_for(recording, within=120, what="the first recorder to record")
        # The second recorder joins the group: the group rebalances, and the first is
        # killed while it does, holding partitions it will never give back itself.
        await second.start()
        await asyncio.sleep(1.0)
        await first.kill()
        await projectors[0].kill()
        killed_at = asyncio.get_running_loop().time()
        at_kill = await recorded_count(engine)
        await publishing
        await publisher.publish_many(documents[quarter:])
    acknowledged = event_ids(documents)
    try:

        async def all_recorded() -> bool:
            return await recorded_count(engine) >= len(acknowledged)

        await wait_for(all_recorded, within=600, what="the surviving recorder to finish")
        await wait_for(
            lambda: projected_to_head(engine), within=600, what="the surviving projector"
        )
    finally:
        await second.stop()
        await projectors[1].stop()
    recovery = asyncio.get_running_loop().time() - killed_at

    outcome = await count_outcome(engine, acknowledged)
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario="Two recorders and two projectors, one of each killed in a rebalance",
            injected=f"SIGKILL of a recorder 1 s after a second joined the group (log at "
            f"{at_kill:,} of {len(acknowledged):,}), and of one projector",
            recovery_seconds=recovery,
            checks=f"chains {'verify' if outcome.chains_intact else 'BROKEN'}; read models "
            f"{'equal' if live == rebuilt else 'DIFFER FROM'} a rebuild",
        )
    )
    assert 0 < at_kill < len(acknowledged)
    assert outcome.lost == 0, sorted(outcome.missing)[:5]
    assert outcome.duplicated == 0
    assert outcome.chains_intact
    assert live == rebuilt
