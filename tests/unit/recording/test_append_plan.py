"""The append plan: duplicates, conflicts, session owners and chaining, with no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from events import RejectionReason
from services.chain import GENESIS_HASH, ChainLink, chain_hash, record_bytes
from services.chain.merkle import leaf_hash
from services.recording import KafkaCoordinates, Rejection
from services.recording.append_plan import AppendPlan, plan_append, unstorable
from tests.factories import document, valid

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _plan(items: list, **known: dict) -> AppendPlan:  # type: ignore[type-arg]
    return plan_append(
        valid=items,
        invalid=[],
        known_bodies=known.get("bodies", {}),
        owners=known.get("owners", {}),
        heads=known.get("heads", {}),
        recorded_at=AT,
    )


def test_a_new_stream_is_chained_from_genesis_with_leaves_over_the_same_record_bytes() -> None:
    first = valid(document("session.started", session_id="s-1"), offset=0)
    second = valid(document("vitals.recorded", session_id="s-1"), offset=1)

    plan = _plan([first, second])

    assert [row["sequence"] for row in plan.rows] == [1, 2]
    assert plan.rows[0]["prev_hash"] == GENESIS_HASH
    assert plan.rows[1]["prev_hash"] == plan.rows[0]["hash"]
    for row, leaf in zip(plan.rows, plan.leaves, strict=True):
        record = record_bytes(
            event_json=row["event_json"],
            stream_id=row["stream_id"],
            sequence=row["sequence"],
            recorded_at=AT,
        )
        assert row["hash"] == chain_hash(prev_hash=row["prev_hash"], record=record)
        assert leaf == leaf_hash(record)
    assert plan.rows[1]["kafka_offset"] == 1


def test_a_stream_the_log_holds_continues_from_its_head() -> None:
    item = valid(document("vitals.recorded", session_id="s-1"), offset=0)
    stream = f"{item.event.clinic_id}/session/s-1"
    head = ChainLink(sequence=7, hash="ab" * 32)

    plan = _plan([item], heads={stream: head})

    assert plan.rows[0]["stream_id"] == stream
    assert (plan.rows[0]["sequence"], plan.rows[0]["prev_hash"]) == (8, head.hash)


def test_an_event_recorded_before_with_the_same_body_is_a_duplicate_and_not_stored() -> None:
    item = valid(document("vitals.recorded", session_id="s-1"), offset=3)

    plan = _plan([item], bodies={str(item.event.event_id): item.canonical_json})

    assert plan.rows == []
    assert plan.duplicates == [str(item.event.event_id)]
    assert plan.rejections == []


def test_the_same_event_twice_in_a_batch_is_stored_once() -> None:
    doc = document("vitals.recorded", session_id="s-1")

    plan = _plan([valid(doc, offset=0), valid(doc, offset=1)])

    assert len(plan.rows) == 1
    assert plan.duplicates == [doc["event_id"]]


def test_an_id_recorded_with_other_content_is_a_conflict_naming_the_event_id() -> None:
    doc = document("dose.administered", session_id="s-1")
    altered = valid({**doc, "payload": {**doc["payload"], "dose_mg": 500.0}}, offset=9)

    plan = _plan([altered], bodies={doc["event_id"]: valid(doc).canonical_json})

    assert plan.rows == []
    [rejection] = plan.rejections
    assert rejection.reason is RejectionReason.CONFLICT
    assert rejection.errors[0].path == "event_id"
    assert "the first version stands" in rejection.errors[0].message
    assert rejection.coordinates.offset == 9


def test_a_session_of_another_patient_is_a_conflict_and_binds_nothing() -> None:
    item = valid(document("vitals.recorded", session_id="s-1"), offset=0)

    plan = _plan([item], owners={"s-1": (item.event.clinic_id, "pt-someone-else")})

    assert plan.rows == []
    assert plan.new_owners == []
    [rejection] = plan.rejections
    assert rejection.reason is RejectionReason.CONFLICT
    assert rejection.errors[0].path == "session_id"
    assert "pt-someone-else" not in rejection.errors[0].message  # whose it is stays unsaid


def test_a_new_session_is_bound_once_to_its_clinic_and_patient() -> None:
    items = [valid(document("vitals.recorded", session_id="s-1"), offset=i) for i in range(3)]

    plan = _plan(items)

    assert plan.new_owners == [
        {
            "session_id": "s-1",
            "clinic_id": items[0].event.clinic_id,
            "patient_id": items[0].event.patient_id,
        }
    ]
    assert len(plan.rows) == 3


def test_an_integration_note_naming_another_patients_session_is_a_conflict_at_that_field() -> None:
    note = document("integration_note.recorded", session_id="s-2")
    item = valid(note, offset=0)
    integrated = note["payload"]["integrates_session_id"]

    plan = _plan([item], owners={integrated: ("clinic-other", "pt-other")})

    assert plan.rows == []
    assert [e.path for e in plan.rejections[0].errors] == ["payload.integrates_session_id"]


def test_the_batch_rejections_come_first_then_the_conflicts_in_batch_order() -> None:
    invalid = Rejection(
        raw=b"{",
        key=None,
        reason=RejectionReason.INVALID_JSON,
        errors=(),
        coordinates=KafkaCoordinates(topic="t", partition=0, offset=0),
    )
    doc = document("vitals.recorded", session_id="s-1")
    altered = valid({**doc, "source": "elsewhere/1"}, offset=2)

    plan = plan_append(
        valid=[altered],
        invalid=[invalid],
        known_bodies={doc["event_id"]: valid(doc).canonical_json},
        owners={},
        heads={},
        recorded_at=AT,
    )

    assert [r.reason for r in plan.rejections] == [
        RejectionReason.INVALID_JSON,
        RejectionReason.CONFLICT,
    ]


def test_an_unstorable_event_is_kept_under_its_offset_with_the_databases_first_line() -> None:
    item = valid(document("vitals.recorded", session_id="s-1"), offset=4)

    rejection = unstorable(item, ValueError("value out of range\nDETAIL: ..."))

    assert rejection.reason is RejectionReason.UNSTORABLE
    assert rejection.errors[0].message == "the database refused this event: value out of range"
    assert rejection.event_id == str(item.event.event_id)


def test_an_unstorable_event_without_an_offset_raises_the_databases_error() -> None:
    item = replace(valid(document("vitals.recorded", session_id="s-1")), coordinates=None)
    refused = ValueError("no")

    with pytest.raises(ValueError, match="no"):
        unstorable(item, refused)
