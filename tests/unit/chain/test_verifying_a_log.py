"""Verifying a whole log from an async row source."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

from services.chain import LogRow, Problem
from services.verification import verify_log
from tests.unit.chain.test_chain_and_verify import _chain


async def _rows(rows: list[LogRow]) -> AsyncIterator[LogRow]:
    # Like a buffered database cursor: never suspends between rows.
    for row in rows:
        yield row


def _streams(count: int, *, length: int = 3) -> list[LogRow]:
    return [row for i in range(count) for row in _chain(length, stream=f"c/session/s{i:03d}")]


async def test_a_log_of_intact_streams_is_reported_intact_with_its_counts() -> None:
    report = await verify_log(_rows(_streams(4)))
    assert (report.intact, report.events, report.streams) == (True, 12, 4)


async def test_a_modified_row_is_named_with_its_stream_and_sequence() -> None:
    rows = _streams(3)
    rows[4] = dataclasses.replace(rows[4], event_json=rows[4].event_json.replace('"p"', '"q"'))
    report = await verify_log(_rows(rows))
    # Both the hash and the patient_id column disagree with the edited content.
    assert {(b.stream_id, b.sequence, b.problem) for b in report.broken} == {
        ("c/session/s001", 2, Problem.MODIFIED)
    }


async def test_other_tasks_run_between_streams_while_a_large_log_is_verified() -> None:
    turns = 0

    async def other_request() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_request())
    await asyncio.sleep(0)
    started = turns
    try:
        await verify_log(_rows(_streams(50)))
    finally:
        other.cancel()
    assert turns - started >= 49
