"""``kapaudit up --demo`` with no configuration: the embedded stack records the demo day."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from services.adapters.sql import SqlEventStore, create_engine
from services.demo import PLANTED_LAPSES
from services.verification import verify_log

ROOT = Path(__file__).resolve().parents[2]


async def _read_until(stream: asyncio.StreamReader, marker: str, *, within: float) -> str:
    seen = ""
    async with asyncio.timeout(within):
        while marker not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"output ended before {marker!r}:\n{seen}")
            seen += line.decode()
    return seen


async def test_up_with_demo_records_the_demo_day_in_a_verified_log_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAPAUDIT_")} | {
        "KAPAUDIT_EMBEDDED_KAFKA_PORT": "0",
        "KAPAUDIT_HTTP_PORT": "0",
        "KAPAUDIT_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli.main",
        "up",
        "--demo",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        output = await _read_until(process.stdout, "Press Ctrl-C", within=180)
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output + rest.decode()
    assert "Demo day recorded" in output
    for session_id, rule_id in PLANTED_LAPSES.items():
        assert f"session {session_id} breaks {rule_id}" in output

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'kapaudit.db'}")
    try:
        store = SqlEventStore(engine=engine)
        report = await verify_log(store.rows_by_stream())
        rejections = await store.rejections()
    finally:
        await engine.dispose()
    assert report.intact
    assert report.events >= 300
    assert len({link.stream_id for link in report.broken}) == 0
    assert rejections == []
    assert (tmp_path / "var" / "tansu.log").exists()
