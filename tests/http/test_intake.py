"""Finding the events in a ``POST /v1/events`` body (no server needed)."""

from __future__ import annotations

import json

import pytest

from services.http.api.intake import read_events
from services.http.api.problems import InvalidRequest
from tests.factories import document


def _problems(raw: bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(InvalidRequest) as refused:
        read_events(raw)
    return [(p.index, p.path) for p in refused.value.problems]


def test_a_batch_keeps_its_events_in_order() -> None:
    documents = [document("vitals.recorded"), document("session.ended")]

    events = read_events(json.dumps({"events": documents}).encode())

    assert [str(e.event_id) for e in events] == [d["event_id"] for d in documents]


def test_an_event_with_an_events_field_is_reported_as_an_event_with_an_extra_field() -> None:
    doc = {**document("vitals.recorded"), "events": []}

    assert _problems(json.dumps(doc).encode()) == [(0, "events")]


def test_a_duplicate_key_inside_a_batched_event_is_refused_rather_than_silently_dropped() -> None:
    doc = json.dumps(document("vitals.recorded"))
    raw = b'{"events": [' + doc[:-1].encode() + b', "source": "x", "source": "y"}]}'

    assert _problems(raw) == [(None, "(root)")]


def test_numbers_beyond_json_are_refused() -> None:
    assert _problems(b'{"events": [{"dose": 1e999}]}') == [(None, "(root)")]


def test_a_lone_surrogate_is_refused_at_its_events_index() -> None:
    raw = b'{"events": [{"source": "ok"}, {"source": "\\ud800"}]}'

    problems = _problems(raw)

    assert (1, "(root)") in problems


def test_nesting_deeper_than_any_event_is_refused_at_its_index() -> None:
    deep = "[" * 100 + "]" * 100
    raw = ('{"events": [{"payload": ' + deep + "}]}").encode()

    assert _problems(raw) == [(0, "(root)")]


def test_hopeless_nesting_is_refused_without_a_crash() -> None:
    raw = b"[" * 100_000 + b"]" * 100_000

    assert _problems(raw) == [(None, "(root)")]
