import json
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import EventRejected, canonical_bytes, canonical_json, parse_event, read_stored_event
from events.examples import EXAMPLES

Example = Callable[[str], dict[str, Any]]


def _parse(document: dict[str, Any]) -> Any:
    return parse_event(json.dumps(document).encode("utf-8"))


def test_canonical_json_is_compact_with_sorted_keys(example: Example) -> None:
    raw = canonical_json(_parse(example("session.started")))

    assert raw.startswith(b'{"actor":{"id":"rn-lindqvist","role":"nurse"},"clinic_id":')
    assert b" " not in raw
    assert list(json.loads(raw)) == sorted(json.loads(raw))


def test_canonical_json_keeps_non_ascii_text_as_utf8(example: Example) -> None:
    document = example("consent.withdrawn")
    document["payload"]["reason"] = "Patientin möchte pausieren"

    raw = canonical_json(_parse(document))

    assert "möchte".encode() in raw


@pytest.mark.parametrize("event_type", list(EXAMPLES))
def test_canonical_json_round_trips_and_is_a_fixed_point(event_type: str) -> None:
    event = _parse(EXAMPLES[event_type])

    raw = canonical_json(event)

    assert parse_event(raw) == event
    assert canonical_json(parse_event(raw)) == raw


def test_a_null_optional_field_and_an_omitted_one_are_the_same_bytes(example: Example) -> None:
    with_null = example("consent.given")
    with_null["payload"]["witness_id"] = None
    omitted = example("consent.given")
    del omitted["payload"]["witness_id"]

    assert canonical_json(_parse(with_null)) == canonical_json(_parse(omitted))
    assert b"witness_id" not in canonical_json(_parse(omitted))


def test_key_order_and_whitespace_of_the_input_do_not_change_the_bytes(example: Example) -> None:
    document = example("dose.administered")
    shuffled = dict(reversed(list(document.items())))

    spaced = parse_event(json.dumps(shuffled, indent=4).encode("utf-8"))

    assert canonical_json(spaced) == canonical_json(_parse(document))


def test_a_correction_to_null_is_kept_because_it_is_a_value_not_an_absence(
    example: Example,
) -> None:
    document = example("record.amended")
    document["payload"]["corrected"] = {"container_id": None}

    raw = canonical_json(_parse(document))

    assert b'"corrected":{"container_id":null}' in raw


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2025-03-04T14:10:00Z", "2025-03-04T14:10:00+00:00"),
        ("2025-03-04T09:10:00-05:00", "2025-03-04T09:10:00.000-05:00"),
        ("2025-03-04T09:10:00.5-05:00", "2025-03-04T09:10:00.500000-05:00"),
    ],
)
def test_equal_timestamps_serialize_to_equal_bytes(
    example: Example, first: str, second: str
) -> None:
    a, b = example("session.started"), example("session.started")
    a["occurred_at"], b["occurred_at"] = first, second

    assert canonical_json(_parse(a)) == canonical_json(_parse(b))


def test_the_publishers_utc_offset_is_preserved(example: Example) -> None:
    raw = canonical_json(_parse(example("session.started")))

    assert b'"occurred_at":"2025-03-04T09:02:00-05:00"' in raw


def test_numbers_are_rendered_by_their_type_not_by_how_they_were_sent(example: Example) -> None:
    as_int, as_float = example("dose.administered"), example("dose.administered")
    as_int["payload"]["dose_mg"], as_float["payload"]["dose_mg"] = 35, 35.0

    assert canonical_json(_parse(as_int)) == canonical_json(_parse(as_float))


def test_canonical_bytes_applies_the_same_rules_to_any_document() -> None:
    document = {"b": [1, {"d": None, "c": "é"}], "a": MappingProxyType({"z": 1, "y": 2})}

    assert canonical_bytes(document) == '{"a":{"y":2,"z":1},"b":[1,{"c":"é","d":null}]}'.encode()


def test_canonical_bytes_refuses_numbers_json_cannot_represent() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_bytes({"x": float("nan")})


_vitals = st.fixed_dictionaries(
    {},
    optional={
        "heart_rate_bpm": st.integers(20, 250),
        "spo2_pct": st.floats(50, 100, allow_nan=False) | st.integers(50, 100),
        "respiratory_rate": st.integers(4, 60),
        "sedation": st.sampled_from(["none", "mild", "moderate", "severe"]),
        "dissociation": st.booleans() | st.none(),
    },
)
_blood_pressure = st.integers(20, 200).flatmap(
    lambda diastolic: st.fixed_dictionaries(
        {
            "diastolic_mmhg": st.just(diastolic),
            "systolic_mmhg": st.integers(max(40, diastolic + 1), 300),
        }
    )
)


@settings(max_examples=200)
@given(
    measurements=_vitals,
    blood_pressure=st.none() | _blood_pressure,
    offset_minutes=st.integers(-12 * 60, 14 * 60),
)
def test_any_valid_vitals_check_round_trips_through_canonical_json(
    measurements: dict[str, Any], blood_pressure: dict[str, int] | None, offset_minutes: int
) -> None:
    payload = {**measurements, **(blood_pressure or {})}
    if not any(value is not None for value in payload.values()):
        payload["heart_rate_bpm"] = 72
    sign, minutes = ("+" if offset_minutes >= 0 else "-"), abs(offset_minutes)
    document = dict(
        EXAMPLES["vitals.recorded"],
        payload=payload,
        occurred_at=f"2025-03-04T09:05:00{sign}{minutes // 60:02d}:{minutes % 60:02d}",
    )
    event = _parse(document)

    raw = canonical_json(event)

    assert parse_event(raw) == event
    assert canonical_json(parse_event(raw)) == raw


def test_a_correction_to_a_whole_number_written_with_a_fraction_is_the_same_event(
    example: Example,
) -> None:
    as_float = example("record.amended")
    as_float["payload"]["corrected"] = {"systolic_mmhg": 128.0}
    as_int = example("record.amended")
    as_int["payload"]["corrected"] = {"systolic_mmhg": 128}

    assert canonical_json(_parse(as_float)) == canonical_json(_parse(as_int))
    assert b'"corrected":{"systolic_mmhg":128}' in canonical_json(_parse(as_float))


@pytest.mark.parametrize("written", ["1700000000", "2026-11-24 09:00Z", "2026-11-24T09:00+0500"])
def test_a_recorded_correction_in_a_timestamp_form_no_longer_taken_still_reads_back(
    example: Example, written: str
) -> None:
    # Such a correction was taken before timestamps had to be RFC 3339, and the log keeps
    # the corrected value as it was sent: reading it back must not lose the event.
    document = example("record.amended")
    document["payload"]["corrected"] = {"scheduled_start": written}
    stored = canonical_bytes(document)

    with pytest.raises(EventRejected):
        _parse(document)
    read = read_stored_event(stored)
    assert read.payload.corrected == {"scheduled_start": written}
    assert canonical_json(read) == stored
