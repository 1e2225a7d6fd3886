import json
from collections.abc import Callable
from typing import Any

import pytest

from events import (
    CURRENT_SCHEMA_VERSION,
    EVENT_TYPES,
    UPCASTERS,
    AccessChannel,
    AccessRecorded,
    DoseAdministered,
    EventRejected,
    RejectionReason,
    parse_event,
    upcast,
    upcasting,
)

Example = Callable[[str], dict[str, Any]]


def _dose_v0_to_v1(document: dict[str, Any]) -> dict[str, Any]:
    """A fictional v0 of dose.administered that called the amount `amount_mg`."""
    payload = dict(document["payload"])
    payload["dose_mg"] = payload.pop("amount_mg")
    return {**document, "payload": payload}


def _v0_dose(example: Example) -> dict[str, Any]:
    document = example("dose.administered")
    document["schema_version"] = 0
    document["payload"]["amount_mg"] = document["payload"].pop("dose_mg")
    return document


def test_access_recorded_is_at_version_3_and_every_other_event_type_at_1() -> None:
    assert dict(CURRENT_SCHEMA_VERSION) == {
        **dict.fromkeys(EVENT_TYPES, 1),
        "access.recorded": 3,
    }
    assert set(UPCASTERS) == {("access.recorded", 1), ("access.recorded", 2)}


def test_a_version_1_access_record_is_upcast_to_version_3_with_its_fields_unchanged(
    example: Example,
) -> None:
    document = example("access.recorded")
    document["schema_version"] = 1

    event = parse_event(json.dumps(document).encode("utf-8"))

    assert isinstance(event, AccessRecorded)
    assert event.schema_version == 3
    assert event.payload.channel is AccessChannel.DASHBOARD
    assert event.model_dump(mode="json", exclude={"schema_version"}) == {
        key: value for key, value in document.items() if key != "schema_version"
    }


def test_a_version_1_access_record_cannot_name_the_cli_channel_it_did_not_have(
    example: Example,
) -> None:
    document = example("access.recorded")
    document["schema_version"] = 1
    document["payload"]["channel"] = "cli"

    with pytest.raises(EventRejected) as caught:
        parse_event(json.dumps(document).encode("utf-8"))

    assert caught.value.reason is RejectionReason.SCHEMA_VIOLATION
    assert "schema version 1's: api, dashboard" in caught.value.errors[0].message


def test_a_version_2_access_record_may_name_the_cli_channel(example: Example) -> None:
    document = example("access.recorded")
    document["payload"]["channel"] = "cli"

    event = parse_event(json.dumps(document).encode("utf-8"))

    assert isinstance(event, AccessRecorded)
    assert event.payload.channel is AccessChannel.CLI


def test_a_version_2_access_record_is_upcast_to_version_3_with_its_fields_unchanged(
    example: Example,
) -> None:
    document = example("access.recorded")
    document["schema_version"] = 2
    document["payload"]["channel"] = "cli"

    event = parse_event(json.dumps(document).encode("utf-8"))

    assert isinstance(event, AccessRecorded)
    assert event.schema_version == 3
    assert event.model_dump(mode="json", exclude={"schema_version"}) == {
        key: value for key, value in document.items() if key != "schema_version"
    }


def test_a_version_2_access_record_cannot_be_the_clinic_level_read_it_did_not_have(
    example: Example,
) -> None:
    document = example("access.recorded")
    document["schema_version"] = 2
    document["patient_id"] = "-"
    document["session_id"] = None

    with pytest.raises(EventRejected) as caught:
        parse_event(json.dumps(document).encode("utf-8"))

    assert caught.value.reason is RejectionReason.SCHEMA_VIOLATION
    assert "new in schema version 3" in caught.value.errors[0].message


def test_a_version_3_access_record_may_be_a_clinic_level_read_of_no_patient(
    example: Example,
) -> None:
    document = example("access.recorded")
    document["patient_id"] = "-"
    document["session_id"] = None
    document["payload"]["resource"] = "GET /clinics/clinic-demo/access"

    event = parse_event(json.dumps(document).encode("utf-8"))

    assert isinstance(event, AccessRecorded)
    assert event.patient_id == "-"


def test_a_clinic_level_read_cannot_name_a_session(example: Example) -> None:
    document = example("access.recorded")
    document["patient_id"] = "-"

    with pytest.raises(EventRejected) as caught:
        parse_event(json.dumps(document).encode("utf-8"))

    assert caught.value.reason is RejectionReason.SCHEMA_VIOLATION
    assert caught.value.errors[0].path == "session_id"
    assert "names no session" in caught.value.errors[0].message


def test_a_registered_upcaster_migrates_an_old_document_before_validation(
    monkeypatch: pytest.MonkeyPatch, example: Example
) -> None:
    monkeypatch.setattr(upcasting, "UPCASTERS", {("dose.administered", 0): _dose_v0_to_v1})

    event = parse_event(json.dumps(_v0_dose(example)).encode("utf-8"))

    assert isinstance(event, DoseAdministered)
    assert event.schema_version == 1
    assert event.payload.dose_mg == 35


def test_upcasters_chain_across_several_versions(
    monkeypatch: pytest.MonkeyPatch, example: Example
) -> None:
    def minus_one_to_zero(document: dict[str, Any]) -> dict[str, Any]:
        payload = dict(document["payload"])
        payload["amount_mg"] = payload.pop("milligrams")
        return {**document, "payload": payload}

    monkeypatch.setattr(
        upcasting,
        "UPCASTERS",
        {("dose.administered", -1): minus_one_to_zero, ("dose.administered", 0): _dose_v0_to_v1},
    )
    document = _v0_dose(example)
    document["schema_version"] = -1
    document["payload"]["milligrams"] = document["payload"].pop("amount_mg")

    migrated = upcast(document)

    assert migrated["schema_version"] == 1
    assert migrated["payload"]["dose_mg"] == 35
    assert "milligrams" not in migrated["payload"]


def test_upcasting_leaves_the_callers_document_unchanged(
    monkeypatch: pytest.MonkeyPatch, example: Example
) -> None:
    def mutating(document: dict[str, Any]) -> dict[str, Any]:
        document["payload"]["dose_mg"] = document["payload"].pop("amount_mg")
        return document

    monkeypatch.setattr(upcasting, "UPCASTERS", {("dose.administered", 0): mutating})
    document = _v0_dose(example)
    before = json.dumps(document, sort_keys=True)

    upcast(document)

    assert json.dumps(document, sort_keys=True) == before


def test_a_version_without_an_upcaster_chain_is_unsupported_naming_accepted_versions(
    monkeypatch: pytest.MonkeyPatch, example: Example
) -> None:
    monkeypatch.setattr(upcasting, "UPCASTERS", {("dose.administered", 0): _dose_v0_to_v1})
    document = example("dose.administered")
    document["schema_version"] = -1

    with pytest.raises(EventRejected) as caught:
        upcast(document)

    assert caught.value.reason is RejectionReason.UNSUPPORTED_SCHEMA_VERSION
    assert caught.value.errors[0].message.endswith("the supported versions are 0, 1")


def test_an_old_document_too_malformed_to_migrate_is_a_schema_violation(
    monkeypatch: pytest.MonkeyPatch, example: Example
) -> None:
    monkeypatch.setattr(upcasting, "UPCASTERS", {("dose.administered", 0): _dose_v0_to_v1})
    document = example("dose.administered")
    document["schema_version"] = 0  # but still with dose_mg, so the v0 field is missing

    with pytest.raises(EventRejected) as caught:
        parse_event(json.dumps(document).encode("utf-8"))

    assert caught.value.reason is RejectionReason.SCHEMA_VIOLATION
    assert "Cannot migrate schema version 0 to 1" in caught.value.errors[0].message


def test_a_current_document_passes_through_upcasting_unchanged(example: Example) -> None:
    document = example("vitals.recorded")

    assert upcast(document) == document
