"""Reads leave a trace in the log; every page captures and prints as a real page."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from services.adapters.memory import RecordingAccessLog
from services.adapters.sql.tables import event_log
from services.bootstrap import wire_http
from services.http import create_app
from tests.browser.png import distinct_colours, png_size
from tests.browser.support import ARTIFACTS, Demo, sign_in
from tests.integration.support import wait_until


async def _reads_of(demo: Demo, session_id: str) -> list[dict[str, object]]:
    query = (
        select(event_log.c.event_json)
        .where(event_log.c.event_type == "access.recorded")
        .where(event_log.c.session_id == session_id)
        .order_by(event_log.c.position)
    )
    async with demo.stack.engine.connect() as connection:
        return [json.loads(row) for row in (await connection.execute(query)).scalars()]


async def test_viewing_a_session_adds_an_access_recorded_event_to_the_log(
    demo: Demo, page: Page
) -> None:
    before = len(await _reads_of(demo, "sess-demo-08"))
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/sess-demo-08")
    await expect(page.locator("h1")).to_contain_text("sess-demo-08")

    async def recorded() -> bool:
        return len(await _reads_of(demo, "sess-demo-08")) > before

    await wait_until(recorded, within=30, what="the recorder to store the read")
    read = (await _reads_of(demo, "sess-demo-08"))[-1]
    patient = await page.locator(".facts div", has_text="Patient").locator("dd").inner_text()
    assert read["patient_id"] == patient.strip()
    assert read["clinic_id"] == "clinic-demo"
    assert read["payload"] == {
        "token_name": "officer-demo",
        "role": "compliance_officer",
        "channel": "dashboard",
        "resource": "/sessions/sess-demo-08",
        "query": {},
        "outcome": "allowed",
    }


async def test_an_officer_refused_another_clinics_session_page_is_recorded_as_denied(
    demo: Demo, page: Page
) -> None:
    before = len(await _reads_of(demo, "sess-demo-11"))
    await sign_in(page, demo, demo.stranger)
    response = await page.goto(f"{demo.url}/sessions/sess-demo-11?as_of=")
    assert response is not None
    assert response.status == 403

    async def recorded() -> bool:
        return len(await _reads_of(demo, "sess-demo-11")) > before

    await wait_until(recorded, within=30, what="the recorder to store the refusal")
    refusal = (await _reads_of(demo, "sess-demo-11"))[-1]
    assert refusal["clinic_id"] == "clinic-demo"
    assert refusal["payload"] == {
        "token_name": "officer-elsewhere",
        "role": "compliance_officer",
        "channel": "dashboard",
        "resource": "/sessions/sess-demo-11",
        "query": {},
        "outcome": "denied",
    }


async def test_viewing_the_overview_records_a_read_of_every_patient_it_lists(
    demo: Demo, page: Page
) -> None:
    async def overview_reads() -> int:
        query = (
            select(func.count())
            .select_from(event_log)
            .where(event_log.c.event_type == "access.recorded")
            .where(event_log.c.event_json.like('%"resource":"/overview"%'))
        )
        async with demo.stack.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    before = await overview_reads()
    await sign_in(page, demo, demo.officer)
    listed = await page.locator("table.sessions tbody tr[data-session]").count()
    assert listed > 0

    async def all_recorded() -> bool:
        return await overview_reads() >= before + listed

    await wait_until(all_recorded, within=30, what="one read per listed patient")


@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("sign-in", "/sign-in", "Sign in"),
        ("overview", "/overview", "clinic-demo"),
        ("session", "/sessions/sess-demo-14", "Session sess-demo-14"),
        ("ledger", "/clinics/clinic-demo/ledger", "Controlled-substance ledger"),
        ("access-report", "/clinics/clinic-demo/access", "Access report"),
    ],
)
async def test_each_page_is_saved_as_a_full_page_screenshot_that_is_not_blank(
    demo: Demo, page: Page, name: str, path: str, heading: str
) -> None:
    if name != "sign-in":
        await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}{path}")
    await expect(page.locator("h1")).to_contain_text(heading)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"dashboard-{name}.png"
    await page.screenshot(path=str(target), full_page=True)
    png = target.read_bytes()
    width, height = png_size(png)
    assert width == 1280
    assert height >= await page.evaluate("document.documentElement.scrollHeight") - 1
    assert distinct_colours(png, enough=64) >= 64


async def test_printing_hides_the_navigation_and_forms_but_keeps_the_charts(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/sess-demo-14")
    await expect(page.locator("#site-nav")).to_be_visible()
    await page.emulate_media(media="print")
    await expect(page.locator("#site-nav")).to_be_hidden()
    await expect(page.locator("form.as-of-form")).to_be_hidden()
    await expect(page.locator("svg.vitals-chart")).to_be_visible()
    await expect(page.locator("table.timeline")).to_be_visible()
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "dashboard-session-print.png"), full_page=True)


async def test_a_page_whose_read_cannot_be_recorded_is_withheld_with_a_503(demo: Demo) -> None:
    wired = wire_http(
        settings=demo.stack.settings, broker=demo.stack.broker, engine=demo.stack.engine
    )
    app = create_app(replace(wired, auditor=RecordingAccessLog(unreachable=True)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dashboard.test",
        cookies={"kapaudit_token": demo.officer},
    ) as client:
        response = await client.get("/sessions/sess-demo-05")
    assert response.status_code == 503
    assert "cannot be shown right now" in response.text
    assert "vitals.bp_at_40_min" not in response.text
    assert "pt-" not in response.text
