"""``/metrics`` answers on the recorder, the projector and the API, each its own process on
a real broker, and the figures move as events are recorded, rejected, folded and read."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from events import TOPIC
from services.adapters.kafka import EventPublisher, ensure_topics
from services.adapters.tansu import EmbeddedBroker
from tests.factories import session_documents
from tests.integration.support import produce_raw, wait_until

ROOT = Path(__file__).resolve().parents[2]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class _Process:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output: list[str] = []

    async def line_matching(self, pattern: str, *, within: float = 60.0) -> re.Match[str]:
        """Read standard output until a line matches ``pattern``."""
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"process ended; it printed: {''.join(self.output)}")
                self.output.append(line)
                if found := re.search(pattern, line):
                    return found


Start = Callable[[str], Awaitable["_Process"]]
"""Starts ``kapaudit COMMAND`` as its own process; the fixture stops it."""


@pytest.fixture
async def start(kafka: EmbeddedBroker, database_url: str) -> AsyncIterator[Start]:
    started: list[_Process] = []
    env = {
        **os.environ,
        "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAPAUDIT_DATABASE_URL": database_url,
        "KAPAUDIT_KAFKA_PARTITIONS": "4",
        "KAPAUDIT_RECORDER_BATCH_TIMEOUT_MS": "50",
        "KAPAUDIT_LOG_LEVEL": "WARNING",
        "KAPAUDIT_HTTP_PORT": "0",
        "KAPAUDIT_RECORDER_METRICS_PORT": "0",
        "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
        "COLUMNS": "400",
    }

    async def run(command: str) -> _Process:
        process = _Process(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "services.cli.main",
                command,
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        )
        started.append(process)
        return process

    yield run
    for each in started:
        if each.process.returncode is None:
            each.process.send_signal(signal.SIGTERM)
    await asyncio.gather(*(each.process.wait() for each in started))


def _scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _scraped(url: str) -> Samples:
    return await asyncio.to_thread(_scrape, url)


async def test_metrics_answer_on_all_three_processes_and_move(
    kafka: EmbeddedBroker, start: Start
) -> None:
    run = start
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    # The recorder first: it migrates the store the other two then find current.
    recorder = await run("record")
    recorder_url = (await recorder.line_matching(r"Metrics: (\S+)"))[1]
    projector = await run("project")
    projector_url = (await projector.line_matching(r"Metrics: (\S+)"))[1]
    api = await run("serve")
    api_url = (await api.line_matching(r"Dashboard: (\S+)/ "))[1]
    assert len({recorder_url, projector_url}) == 2

    documents = session_documents("s-metrics", 5, start=datetime(2026, 11, 25, tzinfo=UTC))
    async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
        await publisher.publish_many(documents)
    await produce_raw(kafka.bootstrap_servers, TOPIC, [(b"k", b"{not json")])

    def lags(samples: Samples) -> dict[frozenset[tuple[str, str]], float]:
        return {
            labels: value
            for (name, labels), value in samples.items()
            if name == "kapaudit_recorder_consumer_lag"
        }

    async def recorded() -> bool:
        samples = await _scraped(recorder_url)
        return (
            samples.get(("kapaudit_events_recorded_total", frozenset()), 0) >= len(documents)
            and samples.get(
                ("kapaudit_events_rejected_total", frozenset({("reason", "invalid_json")})), 0
            )
            == 1
            # The lag is set once the offsets are committed, just after the counts.
            and bool(lags(samples))
            and all(value == 0 for value in lags(samples).values())
        )

    await wait_until(recorded, within=60, what="the recorder's counters to move")
    samples = await _scraped(recorder_url)
    assert samples[("kapaudit_recorder_batch_commit_seconds_count", frozenset())] >= 1

    async def folded() -> bool:
        samples = await _scraped(projector_url)
        positions = [
            value
            for (name, _), value in samples.items()
            if name == "kapaudit_projector_lag_positions"
        ]
        return bool(positions) and all(value == 0 for value in positions)

    await wait_until(folded, within=60, what="the projector to report no lag")

    await asyncio.to_thread(urllib.request.urlopen, f"{api_url}/healthz", timeout=5)
    samples = await _scraped(f"{api_url}/metrics")
    healthz = frozenset({("method", "GET"), ("route", "/healthz"), ("status", "200")})
    assert samples[("kapaudit_http_requests_total", healthz)] == 1
