"""``kapaudit up --demo`` with no configuration: the embedded stack records the demo month."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url

from services.adapters.sql import SqlEventStore, create_engine
from services.demo import demo_month
from services.verification import verify_log
from tests.conftest import both_stores

ROOT = Path(__file__).resolve().parents[2]

# `kapaudit up` starts the embedded broker itself, in its own process.
pytestmark = pytest.mark.broker


async def _read_until(stream: asyncio.StreamReader, marker: str, *, within: float) -> str:
    seen = ""
    async with asyncio.timeout(within):
        while marker not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"output ended before {marker!r}:\n{seen}")
            seen += line.decode()
    return seen


def _up(
    tmp_path: Path, *args: str, log_level: str | None = "WARNING", **settings: str
) -> Awaitable[asyncio.subprocess.Process]:
    """``kapaudit up ARGS`` in ``tmp_path``, with only the given ``KAPAUDIT_*`` settings
    (``log_level=None``: the default, as a newcomer runs it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAPAUDIT_")}
    if log_level is not None:
        env["KAPAUDIT_LOG_LEVEL"] = log_level
    env |= {
        "KAPAUDIT_EMBEDDED_KAFKA_PORT": "0",
        "KAPAUDIT_HTTP_PORT": "0",
        "KAPAUDIT_RECORDER_METRICS_PORT": "0",
        "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
        "COLUMNS": "400",
        "PYTHONPATH": str(ROOT),
        **{f"KAPAUDIT_{name.upper()}": value for name, value in settings.items()},
    }
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli.main",
        "up",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_up_with_demo_records_the_demo_month_in_a_verified_log_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    # As a newcomer runs it: no log level set, so the terminal shows what they need
    # (the demo's steps, tokens, addresses) and no library's INFO chatter.
    process = await _up(tmp_path, "--demo", log_level=None)
    assert process.stdout is not None
    try:
        output = await _read_until(process.stdout, "Press Ctrl-C", within=180)
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output + rest.decode()
    assert "Demo month recorded" in output
    assert [line for line in output.splitlines() if " INFO " in line] == []
    planted = dict(re.findall(r"planted lapse: session (\S+) breaks (\S+)", output))
    # The month as it stood when published (the run might straddle midnight at the clinic).
    month = demo_month(now=datetime.now(UTC))
    assert planted == dict(month.planted_lapses)
    assert 5 <= len(planted) <= 10

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'kapaudit.db'}")
    try:
        store = SqlEventStore(engine=engine)
        report = await verify_log(store.rows_by_stream())
        rejections = await store.rejections()
    finally:
        await engine.dispose()
    assert report.intact
    assert report.events >= 1500
    assert len({link.stream_id for link in report.broken}) == 0
    assert rejections == []
    assert (tmp_path / "var" / "tansu.log").exists()
    key = tmp_path / "var" / "signing.key"
    assert f"created a checkpoint signing key at {key.relative_to(tmp_path)}" in output
    assert key.stat().st_mode & 0o777 == 0o600


# One branch per backend: an unreachable PostgreSQL for SQLite, the real server otherwise.
@both_stores
async def test_up_names_its_store_without_the_database_password(
    tmp_path: Path, database_url: str
) -> None:
    # PostgreSQL here trusts local connections, so a made-up password still connects.
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        url = url.set(drivername="postgresql+asyncpg", host="db.invalid")
        expected = None
    else:
        expected = url.set(password="not-for-logs").render_as_string(hide_password=True)
    secret_url = url.set(password="not-for-logs").render_as_string(hide_password=False)
    process = await _up(tmp_path, database_url=secret_url)
    assert process.stdout is not None
    if expected is None:
        # An unreachable database: the one-line error must not quote the password either.
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode != 0
        assert "not-for-logs" not in output.decode()
        return
    try:
        output_text = await _read_until(process.stdout, "Press Ctrl-C", within=180)
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output_text + rest.decode()
    assert f"store: {expected}" in output_text
    assert "not-for-logs" not in output_text + rest.decode()
