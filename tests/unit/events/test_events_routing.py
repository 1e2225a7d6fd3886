import json
from collections.abc import Callable
from typing import Any

import pytest

from events import (
    ACCESS_TOPIC,
    DEFAULT_PARTITIONS,
    DLQ_TOPIC,
    PATIENT_LEVEL_EVENT_TYPES,
    TOPIC,
    EventRejected,
    RejectionReason,
    check_topic,
    parse_event,
    partition_key,
    stream_id,
    topic_for,
)
from events.examples import EXAMPLES

Example = Callable[[str], dict[str, Any]]

_SESSION_LEVEL = sorted(set(EXAMPLES) - PATIENT_LEVEL_EVENT_TYPES - {"access.recorded"})


def _parse(document: dict[str, Any]) -> Any:
    return parse_event(json.dumps(document).encode("utf-8"))


def test_the_topics_and_partition_count_are_those_of_contract_v1() -> None:
    assert (TOPIC, ACCESS_TOPIC, DLQ_TOPIC, DEFAULT_PARTITIONS) == (
        "kap.session-events.v1",
        "kap.access-events.v1",
        "kap.session-events.dlq.v1",
        12,
    )


def test_exactly_consent_and_rems_enrolment_are_patient_level() -> None:
    assert sorted(PATIENT_LEVEL_EVENT_TYPES) == [
        "consent.given",
        "consent.withdrawn",
        "rems.patient_enrolled",
    ]


@pytest.mark.parametrize("event_type", _SESSION_LEVEL)
def test_a_session_event_is_keyed_and_chained_by_its_session(
    example: Example, event_type: str
) -> None:
    document = example(event_type)
    document["session_id"] = "sess-ü-7"

    event = _parse(document)

    assert partition_key(event) == "sess-ü-7".encode()
    assert stream_id(event) == "clinic-demo/session/sess-ü-7"


@pytest.mark.parametrize("event_type", sorted(PATIENT_LEVEL_EVENT_TYPES))
@pytest.mark.parametrize("session_id", [None, "sess-0042"])
def test_a_patient_level_event_is_keyed_and_chained_by_its_patient_even_with_a_session(
    example: Example, event_type: str, session_id: str | None
) -> None:
    document = example(event_type)
    document["session_id"] = session_id

    event = _parse(document)

    assert partition_key(event) == b"pt-5c1e9a"
    assert stream_id(event) == "clinic-demo/patient/pt-5c1e9a"


def test_an_amendment_without_a_session_corrects_a_patient_level_event_in_the_patient_stream(
    example: Example,
) -> None:
    document = example("record.amended")
    document["session_id"] = None
    event = _parse(document)
    assert stream_id(event) == f"{document['clinic_id']}/patient/{document['patient_id']}"
    assert partition_key(event) == document["patient_id"].encode()


def test_an_amendment_with_a_session_stays_in_that_session_stream(example: Example) -> None:
    document = example("record.amended")
    event = _parse(document)
    assert stream_id(event) == f"{document['clinic_id']}/session/{document['session_id']}"


def test_a_read_is_chained_in_the_patients_access_stream_apart_from_clinical_chains(
    example: Example,
) -> None:
    document = example("access.recorded")
    event = _parse(document)
    assert stream_id(event) == f"{document['clinic_id']}/access/{document['patient_id']}"
    assert partition_key(event) == document["patient_id"].encode()


def test_reads_travel_on_kapaudits_access_topic_and_every_other_type_on_the_event_topic(
    example: Example,
) -> None:
    topics = {event_type: topic_for(_parse(example(event_type))) for event_type in EXAMPLES}
    assert topics.pop("access.recorded") == ACCESS_TOPIC
    assert set(topics.values()) == {TOPIC}


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_an_event_on_its_own_topic_passes_the_topic_check(
    example: Example, event_type: str
) -> None:
    event = _parse(example(event_type))
    check_topic(event, topic_for(event))


def test_a_read_on_the_clinics_event_topic_is_rejected_as_on_the_wrong_topic(
    example: Example,
) -> None:
    with pytest.raises(EventRejected) as caught:
        check_topic(_parse(example("access.recorded")), TOPIC)
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
    [error] = caught.value.errors
    assert error.path == "event_type"
    assert error.message.startswith(
        "access.recorded belongs on topic kap.access-events.v1, not kap.session-events.v1"
    )


def test_a_clinical_event_on_the_access_topic_is_rejected_as_on_the_wrong_topic(
    example: Example,
) -> None:
    with pytest.raises(EventRejected) as caught:
        check_topic(_parse(example("vitals.recorded")), ACCESS_TOPIC)
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
    [error] = caught.value.errors
    assert error.path == "event_type"
    assert error.message == (
        "vitals.recorded belongs on topic kap.session-events.v1, not kap.access-events.v1: "
        "kap.access-events.v1 carries only access.recorded"
    )


def test_an_event_on_a_topic_that_is_not_kapaudits_is_rejected_as_on_the_wrong_topic(
    example: Example,
) -> None:
    with pytest.raises(EventRejected) as caught:
        check_topic(_parse(example("dose.administered")), "kap.session-events.v2")
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
