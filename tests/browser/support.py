"""Helpers of the browser tests: the Chromium to use, the demo stack and personas, signing in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from services.chain.note import Verifier
from services.clock import Clock
from services.runtime import Stack, running_stack
from services.signing_keys import create_key_file
from tests.integration.support import projections_caught_up, settings_for, wait_until

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


Publish = Callable[[Stack], Awaitable[list[dict[str, Any]]]]
"""Publishes a demo's documents into the running stack and returns them."""


@contextlib.asynccontextmanager
async def demo_stack(
    directory: Path, *, publish: Publish, what: str, clock: Clock | None = None
) -> AsyncIterator[Demo]:
    """The real stack (Tansu, recorder, projector, HTTP on a free port, SQLite in
    ``directory``) with what ``publish`` sends projected, and a token per persona.

    ``clock`` is the stack's clock, for a demo replayed at the instants it was recorded.
    """
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
        async with running_stack(settings, clock=clock) as stack:
            documents = await publish(stack)

            async def projected() -> bool:
                return await projections_caught_up(stack.engine, events=len(documents))

            await wait_until(projected, within=120, what=f"{what} to be projected")
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
