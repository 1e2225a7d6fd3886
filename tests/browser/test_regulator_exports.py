"""A regulator's export in Chromium: sign in, request the demo day, follow it to done,
download it, and check the downloaded file as a regulator's verifier would."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import bagit
from playwright.async_api import Page, expect

from services.log.checkpoint import open_checkpoint
from services.log.merkle import leaf_hash
from services.log.note import Verifier, open_note
from services.log.tree_cover import root_from_cover
from services.offline.bundle_format import manifest_note_text
from tests.browser.support import Demo, sign_in

DENVER = ZoneInfo("America/Denver")


def _check_bag(bag: Path, verifier: Verifier) -> dict[str, int]:
    """The bag is valid, its manifest signed by the log's key, and its entries rebuild the
    signed checkpoint's root; returns the manifest's counts."""
    bagit.Bag(str(bag)).validate()
    manifest = (bag / "manifest.json").read_bytes()
    signed = open_note((bag / "manifest.sig").read_text(), verifiers=[verifier])
    assert signed.text == manifest_note_text(manifest)
    checkpoint = open_checkpoint(
        (bag / "data/proofs/checkpoint.txt").read_text(),
        verifiers=[verifier],
        origin="kapaudit.local/log",
    ).checkpoint
    leaves = {}
    for name in ("events.jsonl", "access.jsonl"):
        for line in (bag / "data" / name).read_text().splitlines():
            entry = json.loads(line)
            leaves[entry["index"]] = leaf_hash(entry["record"].encode("utf-8"))
    cover = []
    for line in (bag / "data/proofs/tree.jsonl").read_text().splitlines():
        item = json.loads(line)
        if "leaf" in item:
            cover.append((item["leaf"], item["leaf"] + 1, leaves.pop(item["leaf"])))
        else:
            cover.append((item["from"], item["to"], bytes.fromhex(item["hash"])))
    assert leaves == {}
    assert root_from_cover(checkpoint.size, cover) == checkpoint.root_hash
    counts: dict[str, int] = json.loads(manifest)["counts"]
    return counts


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
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "unzipped")
    counts = _check_bag(tmp_path / "unzipped" / archive.stem, demo.verifier)
    assert counts["patients"] == 24
    assert counts["sessions"] == 24
