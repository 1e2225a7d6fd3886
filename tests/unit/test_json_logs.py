"""KAPAUDIT_LOG_FORMAT=json: one JSON object per line, with ids and coordinates, nothing
else a record carries."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.adapters.memory import InMemoryEventStore
from services.adapters.prometheus import PrometheusMetrics
from services.clock import FixedClock
from services.json_logs import JsonFormatter
from services.recording import (
    IncomingMessage,
    KafkaCoordinates,
    Recorder,
    Rejection,
)

ROOT = Path(__file__).resolve().parents[2]


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "kapaudit.recorder", logging.INFO, __file__, 1, "recorded %d", (3,), None
    )
    record.__dict__.update(extra)
    return record


def test_a_line_holds_the_message_and_the_named_fields_only() -> None:
    line = json.loads(
        JsonFormatter().format(
            _record(event_ids=["e-1", "e-2"], partition=2, payload={"patient_id": "p-9"})
        )
    )
    assert line["message"] == "recorded 3"
    assert line["level"] == "INFO"
    assert line["logger"] == "kapaudit.recorder"
    assert line["event_ids"] == ["e-1", "e-2"]
    assert line["partition"] == 2
    assert "payload" not in line
    assert datetime.fromisoformat(line["time"]).tzinfo is not None


def test_an_exception_travels_inside_its_line() -> None:
    try:
        raise RuntimeError("database gone")
    except RuntimeError:
        record = logging.LogRecord(
            "kapaudit", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert "RuntimeError: database gone" in line["exception"]


class _SinkDown:
    async def send(self, rejection: Rejection) -> None:
        raise RuntimeError("broker unreachable")


async def test_a_lost_dead_letter_is_logged_with_its_coordinates_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = PrometheusMetrics()
    recorder = Recorder(
        store=InMemoryEventStore(),
        dead_letters=_SinkDown(),
        clock=FixedClock(at=datetime(2026, 12, 3, tzinfo=UTC)),
        dead_letter_retry_delays_s=(),
        metrics=metrics,
    )
    where = KafkaCoordinates(topic="kap.session-events.v1", partition=3, offset=41)
    await recorder.record_batch([IncomingMessage(value=b"{", key=None, coordinates=where)])
    [failed] = [r for r in caplog.records if r.levelno == logging.ERROR]
    line = json.loads(JsonFormatter().format(failed))
    assert (line["topic"], line["partition"], line["offset"]) == ("kap.session-events.v1", 3, 41)
    assert line["reason"] == "invalid_json"
    assert b"kapaudit_dead_letters_failed_total 1.0" in metrics.exposition()[0]


def test_the_cli_writes_json_lines_when_asked() -> None:
    program = (
        "import logging\n"
        "from services.cli.common import load_settings\n"
        "load_settings()\n"
        "logging.getLogger('kapaudit.recorder').info("
        "'recorded %d', 1, extra={'event_ids': ['e-1']})\n"
    )
    env = {
        **os.environ,
        "KAPAUDIT_LOG_FORMAT": "json",
        "KAPAUDIT_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    lines = [json.loads(text) for text in done.stderr.splitlines()]
    assert lines[-1]["message"] == "recorded 1"
    assert lines[-1]["event_ids"] == ["e-1"]


def test_the_console_format_stays_the_default() -> None:
    program = (
        "import logging\n"
        "from services.cli.common import load_settings\n"
        "load_settings()\n"
        "logging.getLogger('kapaudit').warning('hello')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KAPAUDIT_LOG_FORMAT"}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.strip().endswith("WARNING kapaudit: hello")
