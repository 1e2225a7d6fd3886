"""The monthly report from the dashboard: downloaded, its PDF pages looked at as images.

The page images and a screenshot of the HTML report are kept under ``tests/artifacts/``
(``monthly-report-*.png``) for a person to look at; the checks here are what can be said
of them without a stored golden image: pages in portrait with ink where text belongs,
the running header and page number in every page's margins, and nothing past the
right margin (every table fits the width).
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from playwright.async_api import BrowserContext, Page, expect

from services.demo import PLANTED_LAPSES
from tests.browser.pdf_pages import ink, page_images, pdf_text
from tests.browser.support import ARTIFACTS, Demo, sign_in

POINTS_PER_MM = 72 / 25.4


async def _download_pdf(page: Page, demo: Demo) -> Path:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/overview?clinic=clinic-demo")
    async with page.expect_download() as started:
        await page.get_by_role("link", name="Download PDF").click()
    download = await started.value
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "monthly-report.pdf"
    await download.save_as(target)
    assert download.suggested_filename.startswith("clinic-demo-compliance-report-")
    assert download.suggested_filename.endswith(".pdf")
    return target


async def test_the_pdf_downloaded_from_the_overview_has_pages_that_look_like_a_report(
    demo: Demo, page: Page
) -> None:
    pdf = (await _download_pdf(page, demo)).read_bytes()
    assert pdf.startswith(b"%PDF-")
    images = page_images(pdf)
    for number, image in enumerate(images, start=1):
        image.save(ARTIFACTS / f"monthly-report-page-{number}.png")

    # 24 sessions, 9 of them failing and the rest pending: a few pages, not a ream.
    assert 2 <= len(images) <= 6, len(images)
    margin = round(13 * POINTS_PER_MM)
    for number, image in enumerate(images, start=1):
        width, height = image.size
        assert (width, height) == (612, 792), f"page {number} is Letter, portrait"
        assert ink(image, (0, 0, width, height)) > 0.01, f"page {number} is blank"
        header = (margin, 20, width - margin, round(18 * POINTS_PER_MM))
        assert ink(image, header) > 0.002, f"page {number} has no running header"
        footer = (width // 2, height - round(14 * POINTS_PER_MM), width - margin, height - 10)
        assert ink(image, footer) > 0.002, f"page {number} has no page number"
        beyond = (width - margin + 4, 0, width, height)
        assert ink(image, beyond) == 0, f"page {number} has ink past the right margin"
    # Downscaled, the first page reads as a report: a dark title band at the top left,
    # then tables down the page, not one picture or an empty sheet.
    small = images[0].convert("L").resize((12, 16))
    rows = [sum(1 for x in range(12) if small.getpixel((x, y)) < 250) for y in range(16)]
    assert rows[1] + rows[2] > 0, "the title band is not white"
    assert sum(1 for filled in rows[3:15] if filled) >= 8, rows

    text = pdf_text(pdf)
    assert all(session in text for session in PLANTED_LAPSES), "every failing session"
    assert "Thresholds applied" in text
    assert "judged at" in text


async def test_the_html_report_is_screenshotted_as_served_under_its_own_policy(
    demo: Demo, context: BrowserContext
) -> None:
    await context.set_extra_http_headers({"Authorization": f"Bearer {demo.officer}"})
    page = await context.new_page()
    await page.goto(f"{demo.url}/v1/clinics/clinic-demo/compliance-report?format=html")

    await expect(page.locator("h1")).to_contain_text("Compliance report: clinic-demo")
    # The inline style ran (its hash is in the CSP): the tables are collapsed and ruled.
    collapse = await page.locator("table.sessions").first.evaluate(
        "t => getComputedStyle(t).borderCollapse"
    )
    assert collapse == "collapse"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "monthly-report-html.png"), full_page=True)


async def test_the_printed_overview_keeps_ids_whole_and_shows_reasons_and_the_filter(
    demo: Demo, page: Page
) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/overview?clinic=clinic-demo&status=non_compliant")
    await page.emulate_media(media="print")
    pdf = await page.pdf(format="Letter")
    (ARTIFACTS / "overview-print.pdf").write_bytes(pdf)

    text = pdf_text(pdf)
    assert all(session in text for session in PLANTED_LAPSES), "ids printed whole"
    assert "Sessions listed: status non_compliant" in text
    assert "limit" in text or "minutes" in text or "min" in text, "failure reasons printed"


async def test_the_printed_ledger_fits_on_two_pages(demo: Demo, page: Page) -> None:
    await sign_in(page, demo, demo.officer)
    await page.goto(f"{demo.url}/clinics/clinic-demo/ledger")
    await page.emulate_media(media="print")
    pdf = await page.pdf(format="Letter")
    (ARTIFACTS / "ledger-print.pdf").write_bytes(pdf)

    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) <= 2
    finally:
        document.close()
