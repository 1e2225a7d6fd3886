"""The hash chain and its verification, on rows built in memory."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.chain import GENESIS_HASH, LogRow, Problem, chain_hash, record_bytes, verify_rows
from services.chain.links import format_recorded_at

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _chain(count: int, *, stream: str = "c/session/s") -> list[LogRow]:
    rows: list[LogRow] = []
    prev = GENESIS_HASH
    for i in range(1, count + 1):
        event = {
            "event_id": f"00000000-0000-4000-8000-{i:012d}",
            "event_type": "session.started",
            "clinic_id": "c",
            "patient_id": "p",
            "session_id": "s",
            "occurred_at": (T0 + timedelta(minutes=i)).isoformat(),
        }
        event_json = json.dumps(event, sort_keys=True, separators=(",", ":"))
        recorded = T0 + timedelta(minutes=i, seconds=1)
        digest = chain_hash(
            prev_hash=prev,
            record=record_bytes(
                event_json=event_json, stream_id=stream, sequence=i, recorded_at=recorded
            ),
        )
        rows.append(
            LogRow(
                position=i,
                event_id=event["event_id"],
                stream_id=stream,
                sequence=i,
                event_type="session.started",
                clinic_id="c",
                patient_id="p",
                session_id="s",
                occurred_at=T0 + timedelta(minutes=i),
                recorded_at=recorded,
                event_json=event_json,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    return rows


def test_the_chain_hash_is_sha256_of_the_previous_hex_hash_and_the_record() -> None:
    record = b'{"a":1}'
    assert (
        chain_hash(prev_hash=GENESIS_HASH, record=record)
        == hashlib.sha256(GENESIS_HASH.encode() + record).hexdigest()
    )


def test_the_record_is_canonical_json_with_sorted_keys_and_utc_microseconds() -> None:
    instant = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    record = record_bytes(
        event_json='{"a":"é","b":1}', stream_id="s", sequence=7, recorded_at=instant
    )
    assert (
        record
        == (
            '{"event":{"a":"é","b":1},"recorded_at":"2026-01-02T03:04:05.000006Z",'
            '"sequence":7,"stream_id":"s"}'
        ).encode()
    )


def test_a_naive_recording_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_recorded_at(datetime(2026, 1, 1))


def test_an_untouched_chain_verifies() -> None:
    assert verify_rows(_chain(5)) == []


def test_a_changed_event_is_reported_as_modified_at_its_sequence() -> None:
    rows = _chain(4)
    rows[1] = dataclasses.replace(rows[1], event_json=rows[1].event_json.replace('"p"', '"q"'))
    broken = verify_rows(rows)
    assert [(b.sequence, b.problem) for b in broken] == [
        (2, Problem.MODIFIED),
        (2, Problem.MODIFIED),
    ]
    assert "patient_id" in broken[1].detail


def test_a_back_dated_recording_time_breaks_the_hash() -> None:
    rows = _chain(3)
    rows[2] = dataclasses.replace(rows[2], recorded_at=rows[2].recorded_at - timedelta(days=1))
    assert [(b.sequence, b.problem) for b in verify_rows(rows)] == [(3, Problem.MODIFIED)]


def test_a_rehashed_row_is_caught_by_the_link_from_its_successor() -> None:
    rows = _chain(3)
    forged_json = rows[1].event_json.replace("session.started", "session.started ")
    forged_hash = chain_hash(
        prev_hash=rows[1].prev_hash,
        record=record_bytes(
            event_json=forged_json,
            stream_id=rows[1].stream_id,
            sequence=2,
            recorded_at=rows[1].recorded_at,
        ),
    )
    rows[1] = dataclasses.replace(rows[1], event_json=forged_json, hash=forged_hash)
    problems = [(b.sequence, b.problem) for b in verify_rows(rows)]
    assert (3, Problem.MODIFIED) in problems


def test_a_removed_row_is_reported_as_missing() -> None:
    rows = _chain(4)
    del rows[1]
    assert [(b.sequence, b.problem) for b in verify_rows(rows)] == [(3, Problem.MISSING)]


def test_rows_moved_in_position_are_reported_as_reordered() -> None:
    rows = _chain(3)
    rows[1], rows[2] = (
        dataclasses.replace(rows[1], position=3),
        dataclasses.replace(rows[2], position=2),
    )
    assert [(b.sequence, b.problem) for b in verify_rows(rows)] == [(3, Problem.REORDERED)]


def test_streams_are_verified_independently() -> None:
    assert verify_rows([*_chain(2, stream="a"), *_chain(3, stream="b")]) == []


def test_the_record_bytes_equal_a_sorted_key_encoding_of_the_whole_record() -> None:
    event_json = '{"a":"é","b":[1,2.5,{"c":null}]}'
    instant = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    expected = json.dumps(
        {
            "event": json.loads(event_json),
            "recorded_at": format_recorded_at(instant),
            "sequence": 12,
            "stream_id": 'c/session/"quoted"',
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert (
        record_bytes(
            event_json=event_json, stream_id='c/session/"quoted"', sequence=12, recorded_at=instant
        )
        == expected
    )
