"""A regulator's export in Chromium: sign in, request the demo day, follow it to done,
download it, and check the downloaded file with the regulator's offline verifier."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from services.offline.verify import verify_bundle
from tests.browser.support import Demo, sign_in

DENVER = ZoneInfo("America/Denver")


async def test_a_regulator_requests_follows_and_downloads_a_verifiable_export(
    demo: Demo, page: Page, tmp_path: Path
) -> None:
    await sign_in(page, demo, demo.regulator)
    await expect(page).to_have_url(f"{demo.url}/exports")
    await expect(page.locator("#clinics")).to_contain_text("clinic-demo")

    today = datetime.now(UTC).astimezone(DENVER).date()
    # The demo day ends minutes before the stack started; it may begin the day before.
    await page.fill("#export-from", (today - timedelta(days=1)).isoformat())
    await page.fill("#export-to", today.isoformat())
    await page.click("#new-export button[type=submit]")
    await expect(page).to_have_url(f"{demo.url}/exports")
    row = page.locator("tr.export").first
    await expect(row).to_contain_text("clinic-demo")

    # The page reloads itself while the export runs; the link appears once it is done.
    download_link = row.locator("a.download")
    await expect(download_link).to_be_visible(timeout=120_000)
    await expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    async with page.expect_download() as started:
        await download_link.click()
    download = await started.value
    archive = tmp_path / download.suggested_filename
    await download.save_as(archive)

    assert archive.name.startswith("exp-")
    # What the regulator runs on the file as downloaded: the offline verifier.
    report = verify_bundle(archive, key=demo.verifier)
    assert report.ok, [finding.line() for finding in report.findings]
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read(f"{archive.stem}/manifest.json"))
    assert (manifest["counts"]["patients"], manifest["counts"]["sessions"]) == (24, 24)
    assert report.entries == manifest["counts"]["events"] + manifest["counts"]["access"]
