"""The recorder killed again and again mid-stream: nothing acknowledged is lost, nothing
is recorded twice, and the read models still equal a rebuild."""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import EventPublisher, ensure_topics
from services.adapters.tansu import EmbeddedBroker
from services.signing_keys import create_key_file
from tests.faults.recorder_with_hook import EXIT_CODE
from tests.faults.reliability import Reliability, ScenarioFigures
from tests.faults.support import (
    ORIGIN,
    Process,
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
    recorded_past_committed_offsets,
    wait_for,
)

SEED = 20261204


async def test_a_recorder_killed_at_random_and_between_its_two_commits_loses_and_repeats_nothing(
    kafka: EmbeddedBroker,
    database: tuple[str, AsyncEngine],
    scale: Scale,
    reliability: Reliability,
    tmp_path: Path,
) -> None:
    url, engine = database
    verifier = create_key_file(tmp_path / "signing.key", name=ORIGIN)
    env = environment(kafka, url, signing_key=tmp_path / "signing.key")
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    documents = clinic_fleet(scale.events)
    chooser = random.Random(SEED)

    # First the deterministic kill: the process dies after its third database commit and
    # before that batch's offsets are committed, so the batch must come again.
    hooked = Process(
        sys.executable, "-m", "tests.faults.recorder_with_hook", "3", env=env, name="hooked"
    )
    async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
        publishing = asyncio.create_task(publisher.publish_many(documents))
        await hooked.start()
        assert await hooked.exited(within=180) == EXIT_CODE
        # Proof that the kill fell between the two commits: entries in the log whose
        # offsets the group never committed. The next recorder gets them again.
        redelivered = await recorded_past_committed_offsets(
            engine, bootstrap_servers=kafka.bootstrap_servers
        )
        assert redelivered > 0
        kills = 1
        recorder = kapaudit("record", env=env, name="recorder")
        await recorder.start()
        for _ in range(scale.recorder_kills):
            # At a random moment while it records (never before it has started again).
            before = await recorded_count(engine)

            async def progressed(floor: int = before) -> bool:
                return await recorded_count(engine) > floor or publishing.done()

            await wait_for(progressed, within=120, what="the recorder to record again")
            await asyncio.sleep(chooser.uniform(0.0, 1.5))
            await recorder.kill()
            kills += 1
            await recorder.start()
        await publishing
    acknowledged = event_ids(documents)
    restarted = asyncio.get_running_loop().time()

    async def all_recorded() -> bool:
        return await recorded_count(engine) >= len(acknowledged)

    await wait_for(all_recorded, within=600, what="the last recorder to catch up")
    projector = kapaudit("project", env=env, name="projector")
    await projector.start()
    try:
        await wait_for(
            lambda: projected_to_head(engine), within=600, what="the projector to catch up"
        )
    finally:
        await projector.stop()
    recovery = asyncio.get_running_loop().time() - restarted
    await asyncio.sleep(1)  # a redelivery after the last kill would land here
    await recorder.stop()

    outcome = await count_outcome(engine, acknowledged, verifier=verifier)
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario="Recorder killed mid-stream",
            injected=f"SIGKILL x{kills - 1} at random (seed {SEED}); 1 exit between the "
            f"database commit and the offset commit ({redelivered} entries redelivered)",
            recovery_seconds=recovery,
            checks=f"chains and checkpoint {'verify' if outcome.chains_intact else 'BROKEN'}; "
            f"read models {'equal' if live == rebuilt else 'DIFFER FROM'} a rebuild",
        )
    )
    assert outcome.lost == 0, sorted(outcome.missing)[:5]
    assert outcome.duplicated == 0
    assert outcome.recorded == len(acknowledged)
    assert outcome.chains_intact
    assert live == rebuilt
