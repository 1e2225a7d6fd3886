import json
from collections.abc import Callable
from typing import Any

import pytest

from events import (
    ACCESS_TOPIC,
    CLINIC_LEVEL_EVENT_TYPES,
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

_SESSION_LEVEL = sorted(
    set(EXAMPLES) - PATIENT_LEVEL_EVENT_TYPES - CLINIC_LEVEL_EVENT_TYPES - {"access.recorded"}
)


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


def test_a_clinic_level_read_is_chained_and_keyed_in_the_clinics_access_stream(
    example: Example,
) -> None:
    document = example("access.recorded")
    document["patient_id"] = "-"
    document["session_id"] = None
    event = _parse(document)
    assert stream_id(event) == f"{document['clinic_id']}/access"
    assert partition_key(event) == f"{document['clinic_id']}/access".encode()


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


def test_a_profile_change_is_chained_and_keyed_per_clinic_and_protocol(example: Example) -> None:
    event = _parse(example("profile.changed"))
    assert stream_id(event) == "clinic-demo/profile/iv-ketamine"
    assert partition_key(event) == b"clinic-demo/profile/iv-ketamine"


def test_a_profile_change_about_a_patient_is_rejected_naming_patient_id(example: Example) -> None:
    document = example("profile.changed")
    document["patient_id"] = "pt-5c1e9a"
    with pytest.raises(EventRejected) as caught:
        _parse(document)
    assert [error.path for error in caught.value.errors] == ["patient_id"]


def test_a_profile_change_with_a_value_out_of_range_is_rejected_naming_the_setting(
    example: Example,
) -> None:
    document = example("profile.changed")
    document["payload"]["settings"] = {"monitoring_max_gap_minutes": 0}
    with pytest.raises(EventRejected) as caught:
        _parse(document)
    assert [e.path for e in caught.value.errors] == ["payload.settings.monitoring_max_gap_minutes"]


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"monitoring_max_gap_minuts": 10}, "payload.settings.monitoring_max_gap_minuts"),
        ({}, "payload.settings"),
    ],
)
def test_a_profile_change_naming_no_known_setting_is_rejected(
    example: Example, settings: dict[str, Any], path: str
) -> None:
    document = example("profile.changed")
    document["payload"]["settings"] = settings
    with pytest.raises(EventRejected) as caught:
        _parse(document)
    assert [e.path for e in caught.value.errors] == [path]


def test_a_profile_change_without_a_reason_is_rejected(example: Example) -> None:
    document = example("profile.changed")
    document["payload"]["reason"] = "  "
    with pytest.raises(EventRejected) as caught:
        _parse(document)
    assert [e.path for e in caught.value.errors] == ["payload.reason"]
