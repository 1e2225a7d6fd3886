"""One question, one answer: the API, the CLI and the dashboard asked for the same days
list the same sessions, days cut at midnight on the clinic's clock (America/Denver).

Two sessions sit where the cuts used to differ: one on the evening of the day asked for
(already the next day in UTC), one late the evening before (already the day in UTC).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from events import ACCESS_TOPIC
from services.adapters.kafka import make_broker
from services.adapters.memory import RecordingAccessLog
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.tansu import EmbeddedBroker
from services.http import create_app
from services.projecting import Projector
from tests.conftest import both_stores
from tests.factories import at, document, valid
from tests.http.serving import closed_port
from tests.http.support import CLINIC, NOW, http_context, issue_tokens, published_events, seed

# The cuts are compared in SQL, timestamptz on PostgreSQL and naive UTC text on SQLite:
# sessions an hour either side of midnight must fall on the same side on both.
pytestmark = both_stores

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-24"
"""The demo day at the demo clinic."""

EVENING_OF_THE_DAY = ("sess-edge-evening", datetime.fromisoformat("2026-11-24T17:30:00-07:00"))
"""On the day at the clinic; 00:30 the next day in UTC."""
LATE_THE_DAY_BEFORE = ("sess-edge-before", datetime.fromisoformat("2026-11-23T23:30:00-07:00"))
"""The day before at the clinic; 06:30 on the day in UTC."""


def _edge_session(session_id: str, start: datetime) -> list[dict[str, Any]]:
    common = {"clinic_id": CLINIC, "patient_id": f"pt-{session_id}", "session_id": session_id}
    return [
        at(
            document("session.scheduled", **common, payload={"scheduled_start": start.isoformat()}),
            start - timedelta(hours=2),
        ),
        at(document("vitals.recorded", **common), start),
    ]


@pytest.fixture
async def clients(engine: AsyncEngine) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    await seed(engine)
    edges = [doc for s in (EVENING_OF_THE_DAY, LATE_THE_DAY_BEFORE) for doc in _edge_session(*s)]
    await SqlEventStore(engine=engine).record(
        valid=[valid(doc) for doc in edges], invalid=[], recorded_at=NOW
    )
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()
    tokens = await issue_tokens(engine)
    # Reads are accounted for by a stand-in: the question is which sessions, not the audit.
    broker = make_broker(bootstrap_servers=f"127.0.0.1:{closed_port()}")
    context = replace(http_context(engine=engine, broker=broker), auditor=RecordingAccessLog())
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, tokens


def _cli(*args: str, url: str, kafka: EmbeddedBroker) -> subprocess.CompletedProcess[str]:
    # The CLI records its reads of patient data through Kafka before it prints them.
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "KAPAUDIT_DATABASE_URL": url,
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "COLUMNS": "250",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_api_the_cli_and_the_dashboard_list_the_same_sessions_for_the_same_days(
    clients: tuple[httpx.AsyncClient, dict[str, str]], database_url: str, kafka: EmbeddedBroker
) -> None:
    client, tokens = clients
    days = {"from": DAY, "to": DAY}

    api = await client.get(
        "/v1/sessions",
        params={"clinic_id": CLINIC, **days, "limit": 500},
        headers={"Authorization": f"Bearer {tokens['officer']}"},
    )
    page = await client.get(
        "/overview",
        params={"clinic": CLINIC, **days},
        headers={"Cookie": f"kapaudit_token={tokens['officer']}"},
    )
    cli = _cli(
        "report", "sessions", CLINIC, "--from", DAY, "--to", DAY, "--json",
        url=database_url, kafka=kafka,
    )  # fmt: skip

    assert api.status_code == 200, api.text
    assert page.status_code == 200
    assert cli.returncode == 0, cli.stderr
    from_api = {item["session_id"] for item in api.json()["items"]}
    from_dashboard = set(re.findall(r'<tr data-session="([^"]+)"', page.text))
    from_cli = {row["session_id"] for row in json.loads(cli.stdout)["sessions"]}
    assert len(from_api) == 25
    assert EVENING_OF_THE_DAY[0] in from_api
    assert LATE_THE_DAY_BEFORE[0] not in from_api
    assert from_dashboard == from_api
    assert from_cli == from_api
    cli_reads = [
        event["payload"]
        for event in await published_events(kafka.bootstrap_servers, topics=(ACCESS_TOPIC,))
        if event["payload"]["channel"] == "cli"
    ]
    assert len(cli_reads) == len({row["patient_id"] for row in json.loads(cli.stdout)["sessions"]})
    assert {(r["resource"], r["query"]["from"], r["query"]["to"]) for r in cli_reads} == {
        (f"kapaudit report sessions {CLINIC}", DAY, DAY)
    }


async def test_each_of_them_prints_the_same_exact_instants(
    clients: tuple[httpx.AsyncClient, dict[str, str]], database_url: str, kafka: EmbeddedBroker
) -> None:
    client, tokens = clients
    exact = (
        "2026-11-24 00:00 to 2026-11-25 00:00 America/Denver "
        "(2026-11-24T07:00:00Z/2026-11-25T07:00:00Z)"
    )

    api = await client.get(
        f"/v1/clinics/{CLINIC}/compliance-report",
        params={"from": DAY, "to": DAY},
        headers={"Authorization": f"Bearer {tokens['officer']}"},
    )
    page = await client.get(
        f"/clinics/{CLINIC}/ledger",
        params={"from": DAY, "to": DAY},
        headers={"Cookie": f"kapaudit_token={tokens['officer']}"},
    )
    cli = _cli(
        "report", "clinic", CLINIC, "--from", DAY, "--to", DAY, url=database_url, kafka=kafka
    )

    assert api.json()["period"]["description"] == exact
    assert f"Period: {exact}" in page.text
    assert cli.returncode == 0, cli.stderr
    assert f"{CLINIC} {exact}: 25 sessions" in " ".join(cli.stdout.split())
    assert datetime.fromisoformat(api.json()["end"]) == datetime(2026, 11, 25, 7, tzinfo=UTC)


async def test_the_cli_prints_the_api_body_for_the_same_question(
    clients: tuple[httpx.AsyncClient, dict[str, str]], database_url: str, kafka: EmbeddedBroker
) -> None:
    client, tokens = clients
    officer = {"Authorization": f"Bearer {tokens['officer']}"}
    as_of = NOW.isoformat()
    session_id = EVENING_OF_THE_DAY[0]
    questions = {
        "compliance report": (
            f"/v1/clinics/{CLINIC}/compliance-report",
            ("report", "clinic", CLINIC, "--from", DAY, "--to", DAY),
        ),
        "ledger": (
            f"/v1/clinics/{CLINIC}/controlled-substances",
            ("report", "ledger", CLINIC, "--from", DAY, "--to", DAY),
        ),
    }
    for what, (path, command) in questions.items():
        api = await client.get(
            path, params={"from": DAY, "to": DAY, "as_of": as_of}, headers=officer
        )
        cli = _cli(*command, "--as-of", as_of, "--json", url=database_url, kafka=kafka)
        assert api.status_code == 200, api.text
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout) == api.json(), what

    verdict = await client.get(
        f"/v1/sessions/{session_id}/compliance", params={"as_of": as_of}, headers=officer
    )
    timeline = await client.get(
        f"/v1/sessions/{session_id}/timeline", params={"as_of": as_of}, headers=officer
    )
    cli = _cli(
        "report", "session", session_id, "--as-of", as_of, "--json", url=database_url, kafka=kafka
    )
    assert cli.returncode == 0, cli.stderr
    printed = json.loads(cli.stdout)
    assert printed["verdict"] == verdict.json()
    assert printed["timeline"] == timeline.json()
    assert printed["verdict"]["rules"], "a judged session lists its rules"
