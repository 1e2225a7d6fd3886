"""Helpers of the browser tests: the Chromium to use, the demo personas, signing in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from services.log.note import Verifier
from services.runtime import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo:
    """The running stack, its base URL, the demo documents and a token per test persona."""

    stack: Stack
    url: str
    documents: list[dict[str, Any]]
    officer: str
    """Compliance officer of clinic-demo."""
    stranger: str
    """Compliance officer of another clinic."""
    publisher: str
    admin: str
    regulator: str
    """Regulator of clinic-demo."""
    verifier: Verifier
    """The verifier key of the stack's signing key."""


async def sign_in(page: Page, demo: Demo, token: str) -> None:
    """Paste ``token`` into the sign-in form and submit it (one click)."""
    await page.goto(f"{demo.url}/sign-in")
    await page.fill("#token", token)
    await page.click("form[action='/sign-in'] button[type=submit]")
