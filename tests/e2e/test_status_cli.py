"""``kapaudit status``: lag, last checkpoint, chain health and rejected counts on one screen."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from events import TOPIC, FieldError, RejectionReason
from services.adapters.kafka import ensure_topics
from services.adapters.sql import SqlEventStore, create_engine, upgrade_schema
from services.adapters.tansu import EmbeddedBroker
from services.recording import KafkaCoordinates, Rejection
from tests.factories import session_documents, valid

ROOT = Path(__file__).resolve().parents[2]


def _status(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "status", *args],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KAPAUDIT_")},
            "COLUMNS": "200",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _log(path: Path) -> str:
    """Five events of one session and two rejected messages, no projection run yet."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    docs = session_documents("s-status", 5, start=datetime(2026, 11, 25, tzinfo=UTC))
    rejected = [
        Rejection(
            raw=b"{",
            key=None,
            reason=RejectionReason.INVALID_JSON,
            errors=(FieldError(path="(root)", message="bad"),),
            coordinates=KafkaCoordinates(topic=TOPIC, partition=0, offset=offset),
        )
        for offset in (7, 8)
    ]
    await SqlEventStore(engine=engine).record(
        valid=[valid(d) for d in docs], invalid=rejected, recorded_at=datetime.now(UTC)
    )
    await engine.dispose()
    return url


async def test_status_shows_every_row_with_the_broker_answering(
    tmp_path: Path, kafka: EmbeddedBroker
) -> None:
    url = await _log(tmp_path / "log.db")
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=2)
    result = _status(
        env={
            "KAPAUDIT_DATABASE_URL": url,
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        }
    )
    assert result.returncode == 0, result.stderr
    screen = result.stdout
    assert "kapaudit status" in screen
    assert "5 events" in screen
    assert "caught up (4 partitions)" in screen  # two topics of two partitions, all empty
    assert "5 positions" in screen  # nothing projected yet
    assert "none signed" in screen
    assert "intact: 5 events in 1 streams" in screen
    assert "2: invalid_json 2" in screen


async def test_status_without_a_broker_still_shows_the_store(tmp_path: Path) -> None:
    url = await _log(tmp_path / "log.db")
    result = _status(
        "--no-verify",
        env={"KAPAUDIT_DATABASE_URL": url, "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )
    assert result.returncode == 0, result.stderr
    assert "unreachable" in result.stdout
    assert "not checked (--no-verify)" in result.stdout
    assert "invalid_json 2" in result.stdout


async def test_a_broken_chain_shows_and_exits_one(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    url = await _log(path)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TRIGGER event_log_no_update")
        connection.execute("UPDATE event_log SET hash = 'ff' || substr(hash, 3) WHERE sequence = 3")
    result = _status(
        env={"KAPAUDIT_DATABASE_URL": url, "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    )
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout


def test_an_unreachable_database_is_one_line_and_a_hint() -> None:
    result = _status(env={"KAPAUDIT_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"})
    assert result.returncode == 2  # as every CLI verb's errors; 1 means "broken"
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error:"), result.stderr
    assert lines[1].startswith("hint:")
    assert "Traceback" not in result.stderr
