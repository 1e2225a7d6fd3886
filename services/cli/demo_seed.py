"""What ``kapaudit up --demo`` puts into the stack it started: the demo clinic's last four
weeks, recorded through Kafka as a live recorder would have, and one token per role.

Apart from ``main``, which only wires the stack together: seeding is the demo's business,
and its words (the planted lapses, the tokens' table) are what a first-time reader sees."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from events import parse_event, stream_id
from services.adapters.kafka import EventPublisher
from services.adapters.sql.token_store import SqlTokenStore
from services.auth import Role
from services.cli.common import console
from services.cli.progress import counting_progress
from services.clock import ReplayClock
from services.runtime import Stack

__all__ = ["print_demo_tokens", "publish_demo_month"]


async def publish_demo_month(stack: Stack, clock: ReplayClock) -> None:
    """Publish the demo month ending now and wait until the stack's recorder stored it;
    skipped, with a word, when an earlier run's month is already in the log."""
    from services.demo import demo_month

    month = demo_month(now=datetime.now(UTC))
    documents = month.documents
    # The panel's patients keep their ids from day to day, but their sessions move with the
    # month's window: a second month in the same store would collide with the first.
    patients = {document["patient_id"]: document for document in reversed(documents)}
    for document in patients.values():
        if await stack.store.stream_exists(_stream_of(document)):
            console.print(
                "The demo month is already in the log from an earlier run; "
                f"remove {escape(str(stack.settings.data_dir))}/ to record a fresh one."
            )
            return
    before = count = await stack.store.count()
    # Batch by batch, each recorded before the next: the recorder writes each at the time
    # a live recorder would have, so the month's records read as entered on time.
    async with EventPublisher(broker=stack.broker) as publisher:
        with counting_progress(
            "recording the demo month", total=len(documents), console=console
        ) as tick:
            published = 0
            try:
                for batch in month.batches:
                    clock.hold(batch.record_at)
                    await publisher.publish_many(list(batch.documents))
                    published += len(batch.documents)
                    while (count := await stack.store.count()) < before + published:
                        tick(count - before)
                        await asyncio.sleep(0.05)
                    tick(published)
            finally:
                clock.release()
    console.print(
        f"Demo month recorded: {len(documents)} events, {len(month.session_ids)} sessions "
        f"from {month.first_day:%b %d} to today; the log holds {count}."
    )
    for session_id, rule_id in month.planted_lapses.items():
        console.print(f"  planted lapse: session {session_id} breaks {rule_id}")
    console.print(
        "  the last days' sessions are pending: their integration notes and REMS forms "
        "are not due yet"
    )


async def print_demo_tokens(stack: Stack) -> None:
    """One fresh token per role for the demo clinic (older demo tokens are revoked)."""
    tokens = SqlTokenStore(engine=stack.engine)
    now = datetime.now(UTC)
    table = Table(title="Demo tokens (shown once)")
    table.add_column("role")
    table.add_column("token")
    for role in Role:
        name = f"demo-{role.value.replace('_', '-')}"
        await tokens.revoke(name, now=now)
        await tokens.rename_revoked(name, now=now)
        token, _ = await tokens.create(
            name=name,
            role=role,
            clinics=[] if role is Role.ADMIN else ["clinic-demo"],
            now=now,
        )
        table.add_row(role.value, token)
    console.print(table)
    if stack.http_url:
        console.print(
            f"Sign in at {escape(stack.http_url)}/sign-in with the compliance_officer token."
        )


def _stream_of(document: dict[str, Any]) -> str:
    return stream_id(parse_event(json.dumps(document).encode("utf-8")))
