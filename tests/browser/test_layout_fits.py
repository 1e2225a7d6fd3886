"""Tables fit their container on a phone and a laptop; the phone still shows what matters."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.png import png_size
from tests.browser.support import ARTIFACTS, Demo, sign_in

PHONE = {"width": 375, "height": 812}
LAPTOP = {"width": 1280, "height": 800}

# Width the table needs beyond what its container shows, per table (0: it fits).
_OVERFLOW = """tables => tables.map(t => {
  const box = t.closest('.table-wrap') || t.parentElement;
  return Math.max(t.scrollWidth - box.clientWidth, box.scrollWidth - box.clientWidth);
})"""


def _visible_width_script(selector: str) -> str:
    # Visible means laid out on screen within the viewport's width, not clipped away.
    return f"""() => Array.from(document.querySelectorAll('{selector}')).slice(0, 5).map(e => {{
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.right <= window.innerWidth + 1 && r.left >= 0;
    }})"""


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["375px", "1280px"])
@pytest.mark.parametrize(
    "path", ["/overview", "/clinics/clinic-demo/ledger", "/sessions/sess-demo-08"]
)
async def test_every_table_fits_its_container(
    demo: Demo, page: Page, viewport: dict[str, int], path: str
) -> None:
    await page.set_viewport_size(viewport)
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}{path}")

    overflow = await page.locator("table").evaluate_all(_OVERFLOW)

    assert overflow
    assert max(overflow) <= 0, overflow
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


async def test_on_a_phone_the_sessions_table_shows_session_status_and_failed_rules(
    demo: Demo, page: Page
) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, demo, demo.officer)
    row = page.locator("tr[data-session='sess-demo-05']")

    for cell in ("td.col-session", "td.col-status", "td.col-failed"):
        await expect(row.locator(cell)).to_be_visible()
        shown = f"tr[data-session] {cell}:not(.nothing)"
        assert all(await page.evaluate(_visible_width_script(shown)))
    await expect(row.locator("a.failed-rule")).to_contain_text("vitals.bp_at_40_min")


async def test_on_a_phone_the_unwitnessed_waste_badge_is_seen_without_scrolling_sideways(
    demo: Demo, page: Page
) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/clinics/clinic-demo/ledger")

    badge = page.locator("tr.unwitnessed .badge-fail").first
    await expect(badge).to_be_visible()
    assert all(await page.evaluate(_visible_width_script("tr.unwitnessed .badge-fail")))


async def test_printed_chart_legends_keep_their_colour_keys(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/sess-demo-05")
    await page.emulate_media(media="print")

    adjust = await page.locator(".legend .swatch.systolic").evaluate(
        "e => getComputedStyle(e).printColorAdjust || getComputedStyle(e).webkitPrintColorAdjust"
    )

    assert adjust == "exact"


async def test_the_pre_dose_bp_limit_stops_at_the_last_dose(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/sessions/sess-demo-05")

    limit_end = float(await page.locator("line.threshold").first.get_attribute("x2") or "0")
    dose_x = await page.locator(".marker-dose line").evaluate_all(
        "lines => lines.map(l => parseFloat(l.getAttribute('x1')))"
    )

    assert dose_x
    assert limit_end == pytest.approx(max(dose_x), abs=0.2)


async def test_the_phone_width_overview_is_saved_as_a_screenshot(demo: Demo, page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, demo, demo.officer)
    await expect(page.locator("#rate-counts")).to_contain_text("decided session")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "overview-375px.png"

    await page.screenshot(path=str(target), full_page=True)

    width, height = png_size(target.read_bytes())
    assert width == PHONE["width"]
    assert height > PHONE["height"]
