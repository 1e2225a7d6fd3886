"""One running stack with the demo day, and one headless Chromium, for every browser test.

The stack is the real thing: embedded Kafka (Tansu), the recorder, the projector and the
HTTP server on a free port, with a SQLite database in a temporary directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from services.adapters.kafka import EventPublisher
from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from services.demo import demo_day_events
from services.runtime import running_stack
from services.signing_keys import create_key_file
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, Demo
from tests.integration.support import projections_caught_up, settings_for, wait_until


@pytest.fixture(scope="package")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    directory = tmp_path_factory.mktemp("dashboard")
    database = directory / "kapaudit.db"
    # A signing key, as `kapaudit up` makes one: the exports page needs it.
    verifier = create_key_file(directory / "signing.key", name="kapaudit.local/log")
    async with EmbeddedBroker(port=0) as kafka:
        settings = settings_for(
            bootstrap_servers=kafka.bootstrap_servers,
            database_url=f"sqlite+aiosqlite:///{database}",
            signing_key_file=directory / "signing.key",
            export_dir=directory / "exports",
        )
        async with running_stack(settings) as stack:
            documents = demo_day_events(now=datetime.now(UTC))
            await EventPublisher(broker=stack.broker).publish_many(documents)

            async def projected() -> bool:
                return await projections_caught_up(stack.engine, events=len(documents))

            await wait_until(projected, within=120, what="the demo day to be projected")
            tokens = SqlTokenStore(engine=stack.engine)
            now = datetime.now(UTC)
            officer, _ = await tokens.create(
                name="officer-demo", role=Role.COMPLIANCE_OFFICER, clinics=["clinic-demo"], now=now
            )
            stranger, _ = await tokens.create(
                name="officer-elsewhere",
                role=Role.COMPLIANCE_OFFICER,
                clinics=["clinic-elsewhere"],
                now=now,
            )
            publisher, _ = await tokens.create(
                name="ehr-publisher", role=Role.PUBLISHER, clinics=["clinic-demo"], now=now
            )
            admin, _ = await tokens.create(name="admin", role=Role.ADMIN, clinics=[], now=now)
            regulator, _ = await tokens.create(
                name="state-board", role=Role.REGULATOR, clinics=["clinic-demo"], now=now
            )
            assert stack.http_url is not None
            yield Demo(
                stack=stack,
                url=stack.http_url,
                documents=documents,
                officer=officer,
                stranger=stranger,
                publisher=publisher,
                admin=admin,
                regulator=regulator,
                verifier=verifier,
            )


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
