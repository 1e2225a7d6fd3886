"""``kapaudit broker``: the development broker comes up with kapaudit's topics."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from events import ACCESS_TOPIC, DLQ_TOPIC, TOPIC
from services.adapters.kafka import CHECKPOINT_TOPIC

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.broker


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_development_broker_has_every_topic_before_it_says_it_is_up() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli.main",
        "broker",
        cwd=ROOT,
        env={**os.environ, "KAPAUDIT_EMBEDDED_KAFKA_PORT": str(port), "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert f"127.0.0.1:{port}" in line.decode()
        admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        await admin.start()
        try:
            topics = set(await admin.list_topics())
        finally:
            await admin.close()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    assert {TOPIC, ACCESS_TOPIC, DLQ_TOPIC, CHECKPOINT_TOPIC} <= topics
