"""The overview, session, ledger and access pages show the demo day's verdicts truthfully."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.clock import FixedClock
from services.demo import PLANTED_LAPSES
from tests.browser.support import Demo, sign_in


async def test_a_planted_lapse_is_three_clicks_from_signing_in(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.officer)  # click 1
    await expect(page).to_have_url(f"{demo.url}/overview")
    await expect(page.locator("#compliance-rate .figure-value")).to_have_text(re.compile(r"\d+%"))
    chart = page.locator("#failures svg.bar-chart")
    await expect(chart.locator("rect.bar")).to_have_count(len(set(PLANTED_LAPSES.values())))

    row = page.locator("tr[data-session='sess-demo-05']")
    await row.locator("a.failed-rule", has_text="vitals.bp_at_40_min").click()  # click 2
    await expect(page).to_have_url(
        re.compile(r"/sessions/sess-demo-05\?.*#rule-vitals\.bp_at_40_min$")
    )
    rule = page.locator("[id='rule-vitals.bp_at_40_min']")
    await expect(rule).to_have_attribute("data-outcome", "fail")
    await expect(rule.locator(".badge")).to_have_text("fail")
    await expect(rule.locator(".rule-detail")).to_contain_text("No blood pressure")

    vitals = page.locator("#vitals svg.vitals-chart")
    assert await vitals.locator("circle.point").count() > 5
    await expect(vitals.locator("line.threshold-systolic")).to_have_count(1)
    await expect(vitals.locator(".threshold-label").first).to_contain_text("systolic max 140")
    await expect(vitals.locator(".marker-dose text")).to_contain_text("dose")
    await expect(vitals.locator(".marker-discharge text")).to_have_text("discharge")


async def test_every_planted_lapse_is_reached_from_the_overview_and_shows_its_rule_failing(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.officer)
    failing = page.locator("tr[data-status='non_compliant']")
    await expect(failing).to_have_count(len(PLANTED_LAPSES))
    assert set(await failing.evaluate_all("rows => rows.map(r => r.dataset.session)")) == set(
        PLANTED_LAPSES
    )
    for session_id, rule_id in PLANTED_LAPSES.items():
        await page.goto(f"{demo.url}/overview")
        await page.locator(f"tr[data-session='{session_id}'] a.failed-rule").click()
        await expect(page.locator("h1")).to_contain_text(session_id)
        await expect(page.locator("h1 .badge")).to_have_text("non compliant")
        rule = page.locator(f"[id='rule-{rule_id}']")
        await expect(rule).to_have_attribute("data-outcome", "fail")
        await expect(rule.locator(".rule-detail")).not_to_be_empty()
        # It is the only failing rule, and each piece of its evidence is on the timeline.
        await expect(page.locator("li.rule[data-outcome='fail']")).to_have_count(1)
        for href in await rule.locator(".evidence a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        ):
            await expect(page.locator(f"tr[id='{href.removeprefix('#')}']")).to_have_count(1)


async def test_the_overview_counts_what_the_query_api_reports(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.officer)
    rows = page.locator("table.sessions tbody tr[data-session]")
    queries = SqlComplianceQueries(engine=demo.stack.engine, clock=FixedClock(at=datetime.now(UTC)))
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    report = await queries.clinic_report(
        "clinic-demo", start=today - timedelta(days=6), end=today + timedelta(days=1)
    )
    await expect(rows).to_have_count(report.sessions)
    for status, count in report.by_status.items():
        await expect(page.locator(f"tr[data-status='{status}']")).to_have_count(count)
    shown = "n/a" if report.compliance_rate is None else f"{report.compliance_rate:.0%}"
    await expect(page.locator("#compliance-rate .figure-value")).to_have_text(shown)
    bars = page.locator("svg.bar-chart a.bar-link")
    assert await bars.evaluate_all("bars => bars.map(b => b.dataset.rule)") == list(
        report.failures_by_rule
    )


async def test_the_sessions_table_filters_by_status_and_protocol_and_sorts_by_column(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.officer)
    await page.select_option("select[name=status]", "non_compliant")
    await page.select_option("select[name=protocol]", "iv-ketamine")
    await page.click("form.pickers button[type=submit]")
    rows = page.locator("table.sessions tbody tr[data-session]")
    # The two IV lapses: early discharge (06) and the high baseline BP (14).
    await expect(rows).to_have_count(2)
    assert await _sessions(page) == ["sess-demo-06", "sess-demo-14"]

    await page.click("th a:text-is('Session')")  # by session, ascending
    await page.click("th a:has-text('Session')")  # and again: descending
    assert await _sessions(page) == ["sess-demo-14", "sess-demo-06"]
    await expect(page.locator("th[aria-sort='descending']")).to_contain_text("Session")


async def _sessions(page: Page) -> list[str]:
    return list(
        await page.locator("table.sessions tbody tr[data-session]").evaluate_all(
            "rows => rows.map(r => r.dataset.session)"
        )
    )


async def test_a_correction_is_shown_beside_the_value_it_corrects(demo: Demo, page: Page) -> None:
    [amendment] = [d for d in demo.documents if d["event_type"] == "record.amended"]
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/{amendment['session_id']}")
    corrected = page.locator(f"tr[id='event-{amendment['payload']['amends_event_id']}']")
    rate = amendment["payload"]["corrected"]["heart_rate_bpm"]
    await expect(corrected.locator("del.original")).to_contain_text("HR ")
    await expect(corrected.locator("ins.corrected")).to_contain_text(f"HR {rate}")
    await expect(corrected.locator(".amendment")).to_contain_text(amendment["payload"]["reason"])
    await expect(corrected.locator(".amendment")).to_contain_text(amendment["actor"]["id"])


async def test_patient_level_events_are_marked_on_the_session_timeline(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/sess-demo-05")
    consent = page.locator("table.timeline tr.scope-patient", has_text="consent.given")
    await expect(consent.locator(".tag.patient-level")).to_have_count(1)
    rems = page.locator("table.timeline tr.scope-patient", has_text="rems.patient_enrolled")
    await expect(rems).to_have_count(1)


async def test_the_ledger_flags_the_waste_without_an_independent_witness(
    demo: Demo, page: Page
) -> None:
    [session_id] = [s for s, rule in PLANTED_LAPSES.items() if "waste" in rule]
    await sign_in(page, demo, demo.officer)
    await page.click("nav a:text-is('Ledger')")
    await expect(page.locator("h1")).to_contain_text("Controlled-substance ledger")
    flagged = page.locator("table.ledger tr.unwitnessed")
    await expect(flagged).to_have_count(1)
    await expect(flagged).to_contain_text(session_id)


async def test_the_access_report_filters_by_patient(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/sess-demo-11")
    patient = (
        await page.locator(".facts div", has_text="Patient").locator("dd").inner_text()
    ).strip()
    await page.click("nav a:text-is('Access report')")
    await page.fill("input[name=patient_id]", patient)
    await page.click("form.pickers button[type=submit]")
    reads = page.locator("table.access tbody tr")
    await expect(reads.first).to_contain_text("officer-demo")
    for text in await reads.locator("td.patients").all_inner_texts():
        assert text.strip() == patient
    await expect(page.locator("table.access")).to_contain_text("/sessions/sess-demo-11")
