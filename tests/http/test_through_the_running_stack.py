"""Through the whole running stack (uvicorn, broker, recorder): what the API accepts and
every read it answers end up in the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from services.adapters.sql.tables import event_log
from services.adapters.tansu import EmbeddedBroker
from services.clock import FixedClock
from services.runtime import Stack, running_stack
from tests.factories import document
from tests.http.endpoints import SESSION
from tests.http.support import CLINIC, NOW, issue_tokens, seed
from tests.integration.support import settings_for, wait_until


@pytest.fixture
async def stack(kafka: EmbeddedBroker, database_url: str) -> AsyncIterator[Stack]:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    async with running_stack(settings, project=False, clock=FixedClock(at=NOW)) as running:
        await seed(running.engine)
        yield running


async def _logged(stack: Stack, *, event_type: str | None = None) -> list[str]:
    query = select(event_log.c.event_id)
    if event_type is not None:
        query = query.where(event_log.c.event_type == event_type)
    async with stack.engine.connect() as connection:
        return list((await connection.execute(query)).scalars())


async def test_events_accepted_over_http_are_recorded_in_the_log(stack: Stack) -> None:
    tokens = await issue_tokens(stack.engine)
    documents = [document("vitals.recorded"), document("session.ended")]
    async with httpx.AsyncClient(base_url=str(stack.http_url)) as client:
        response = await client.post(
            "/v1/events",
            json={"events": documents},
            headers={"Authorization": f"Bearer {tokens['publisher']}"},
        )
    assert response.status_code == 202
    wanted = {doc["event_id"] for doc in documents}

    async def recorded() -> bool:
        return wanted <= set(await _logged(stack))

    await wait_until(recorded, within=60, what="the accepted events in the log")


async def test_reads_and_refusals_are_recorded_and_shown_in_the_access_report(
    stack: Stack,
) -> None:
    tokens = await issue_tokens(stack.engine)

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    async with httpx.AsyncClient(base_url=str(stack.http_url)) as client:
        read = await client.get(
            f"/v1/sessions/{SESSION}/compliance",
            params={"as_of": NOW.isoformat()},
            headers=auth("officer"),
        )
        refused = await client.get(
            f"/v1/sessions/{SESSION}/timeline", headers=auth("other-officer")
        )
        assert (read.status_code, refused.status_code) == (200, 403)

        async def both_recorded() -> bool:
            return len(await _logged(stack, event_type="access.recorded")) >= 2

        await wait_until(both_recorded, within=60, what="two access.recorded events in the log")
        report = await client.get(
            f"/v1/clinics/{CLINIC}/access-report",
            params={
                "from": (NOW - timedelta(hours=1)).isoformat(),
                "to": (NOW + timedelta(hours=1)).isoformat(),
            },
            headers=auth("admin"),
        )

    assert report.status_code == 200
    lines = {
        (line["token_name"], line["role"], line["resource"], line["outcome"]): line
        for line in report.json()["lines"]
    }
    allowed = lines[
        ("officer", "compliance_officer", f"GET /v1/sessions/{SESSION}/compliance", "allowed")
    ]
    assert (allowed["patient_id"], allowed["session_id"], allowed["channel"]) == (
        "pt-e8172b",
        SESSION,
        "api",
    )
    assert allowed["query"] == {"as_of": NOW.isoformat()}
    denied = lines[
        ("other-officer", "compliance_officer", f"GET /v1/sessions/{SESSION}/timeline", "denied")
    ]
    assert denied["patient_id"] == "pt-e8172b"
    assert report.json()["readers"] == {"officer": 1, "other-officer": 1}
