"""One running stack with the demo day, and one headless Chromium, for every browser test.

The stack is the real thing: embedded Kafka (Tansu), the recorder, the projector and the
HTTP server on a free port, with a SQLite database in a temporary directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from services.adapters.kafka import EventPublisher
from services.demo import demo_day_events
from services.runtime import Stack
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, Demo, demo_stack


@pytest.fixture(scope="package")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    async def publish(stack: Stack) -> list[dict[str, Any]]:
        documents = demo_day_events(now=datetime.now(UTC))
        await EventPublisher(broker=stack.broker).publish_many(documents)
        return documents

    async with demo_stack(
        tmp_path_factory.mktemp("dashboard"), publish=publish, what="the demo day"
    ) as running:
        yield running


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test: no cookie carries over."""
    fresh = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield fresh
    finally:
        await fresh.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()
