import json

import pytest

from events import CURRENT_SCHEMA_VERSION, EVENT_TYPES, canonical_json, parse_event
from events.examples import EXAMPLES


def test_there_is_exactly_one_example_per_event_type() -> None:
    assert list(EXAMPLES) == list(EVENT_TYPES)


@pytest.mark.parametrize("event_type", list(EXAMPLES))
def test_every_example_parses_into_its_event_class(event_type: str) -> None:
    event = parse_event(json.dumps(EXAMPLES[event_type]).encode("utf-8"))

    assert type(event) is EVENT_TYPES[event_type]
    assert event.event_type == event_type


@pytest.mark.parametrize("event_type", list(EXAMPLES))
def test_every_example_belongs_to_the_demo_clinic_at_its_current_schema_version(
    event_type: str,
) -> None:
    document = EXAMPLES[event_type]

    assert document["clinic_id"] == "clinic-demo"
    assert document["schema_version"] == CURRENT_SCHEMA_VERSION[event_type]


def test_examples_have_distinct_event_ids() -> None:
    ids = [document["event_id"] for document in EXAMPLES.values()]

    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("event_type", list(EXAMPLES))
def test_every_example_survives_the_canonical_round_trip(event_type: str) -> None:
    event = parse_event(json.dumps(EXAMPLES[event_type]).encode("utf-8"))

    assert parse_event(canonical_json(event)) == event


def test_the_amendment_example_corrects_the_dose_example() -> None:
    amended = EXAMPLES["record.amended"]["payload"]["amends_event_id"]

    assert amended == EXAMPLES["dose.administered"]["event_id"]
