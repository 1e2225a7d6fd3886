"""A recorder process that dies right after its Nth database commit, before acking.

Run by the crash test as ``python -m tests.integration.crashing_recorder N``: it
wires the real recorder, store and broker, but exits hard (no cleanup, no offset
commit) the moment the Nth batch is committed, the worst moment for duplicates.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime

from services.adapters.kafka import KafkaDeadLetterSink, make_broker, register_recorder
from services.adapters.sql import SqlEventStore, create_engine
from services.clock import SystemClock
from services.config import Settings
from services.recording import BatchOutcome, Recorder, Rejection, ValidEvent


class _DiesAfterCommits:
    def __init__(self, store: SqlEventStore, *, commits: int) -> None:
        self._store = store
        self._left = commits

    async def record(
        self, *, valid: Sequence[ValidEvent], invalid: Sequence[Rejection], recorded_at: datetime
    ) -> BatchOutcome:
        outcome = await self._store.record(valid=valid, invalid=invalid, recorded_at=recorded_at)
        if outcome.recorded:
            self._left -= 1
            if self._left == 0:
                print(f"crashing after committing {len(outcome.recorded)} events", flush=True)
                os._exit(17)
        return outcome


async def main(commits: int) -> None:
    settings = Settings()
    assert settings.kafka_bootstrap_servers is not None
    engine = create_engine(settings.resolved_database_url())
    broker = make_broker(bootstrap_servers=settings.kafka_bootstrap_servers)
    recorder = Recorder(
        store=_DiesAfterCommits(SqlEventStore(engine=engine), commits=commits),
        dead_letters=KafkaDeadLetterSink(broker=broker),
        clock=SystemClock(),
    )
    register_recorder(
        broker,
        recorder=recorder,
        group_id=settings.recorder_group_id,
        batch_size=settings.recorder_batch_size,
        batch_timeout_ms=settings.recorder_batch_timeout_ms,
    )
    await broker.start()
    await asyncio.sleep(120)
    raise SystemExit("never crashed: fewer batches arrived than expected")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
