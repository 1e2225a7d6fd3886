"""The demo month in a stack of its own, recorded as ``make run`` records it.

The officer's walk changes a threshold, which changes verdicts: the demo day's stack, which
the other browser tests share, must not see that change. The month is replayed batch by
batch with the stack's clock held at each batch's recording instant, as ``kapaudit up
--demo`` does, so its records read as entered on time and only the planted lapses fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from services.adapters.kafka import EventPublisher
from services.clock import ReplayClock
from services.demo import DemoMonth, demo_month
from services.runtime import Stack
from tests.browser.support import Demo, demo_stack
from tests.integration.support import wait_until


@pytest.fixture(scope="package")
def month() -> DemoMonth:
    return demo_month(now=datetime.now(UTC))


@pytest.fixture(scope="package")
async def demo(tmp_path_factory: pytest.TempPathFactory, month: DemoMonth) -> AsyncIterator[Demo]:
    clock = ReplayClock()

    async def publish(stack: Stack) -> list[dict[str, Any]]:
        published = 0
        async with EventPublisher(broker=stack.broker) as publisher:
            try:
                for batch in month.batches:
                    clock.hold(batch.record_at)
                    await publisher.publish_many(list(batch.documents))
                    published += len(batch.documents)

                    # Each batch is stored before the clock moves on to the next one's instant.
                    async def stored(expected: int = published) -> bool:
                        return await stack.store.count() >= expected

                    await wait_until(stored, within=60, what="a batch of the month to be stored")
            finally:
                clock.release()
        return month.documents

    async with demo_stack(
        tmp_path_factory.mktemp("month"), publish=publish, what="the demo month", clock=clock
    ) as running:
        yield running
