"""The embedded broker does not outlive the process that started it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from tests.integration.support import wait_until

# The child process starts the broker itself.
pytestmark = pytest.mark.broker

_CHILD = """
import asyncio, os, sys
from services.adapters.tansu import EmbeddedBroker

async def main() -> None:
    broker = EmbeddedBroker(port=0)
    await broker.start()
    print(broker.port, broker._process.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie awaiting its reaper is gone for every purpose here.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


async def test_a_killed_kapaudit_takes_its_embedded_broker_with_it() -> None:
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, stdout=asyncio.subprocess.PIPE
    )
    assert parent.stdout is not None
    line = await asyncio.wait_for(parent.stdout.readline(), 30)
    port, broker_pid = (int(part) for part in line.split())
    assert _alive(broker_pid)

    parent.send_signal(signal.SIGKILL)
    await parent.wait()

    async def gone() -> bool:
        return not _alive(broker_pid)

    await wait_until(gone, within=10, what=f"tansu {broker_pid} (port {port}) to go")
