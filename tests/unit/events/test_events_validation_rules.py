"""Each rule of contract v1, with the path and message a publisher would see."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from events import (
    PATIENT_LEVEL_EVENT_TYPES,
    SERVER_FIELDS,
    DoseAdministered,
    EventRejected,
    FieldError,
    RecordAmended,
    RejectionReason,
    VitalsRecorded,
    canonical_json,
    parse_event,
)

Example = Callable[[str], dict[str, Any]]
Reject = Callable[[Any], EventRejected]


def _schema_errors(rejection: EventRejected) -> tuple[FieldError, ...]:
    assert rejection.reason is RejectionReason.SCHEMA_VIOLATION
    return rejection.errors


def test_an_iv_dose_without_infusion_minutes_is_rejected_naming_the_field(
    example: Example, reject: Reject
) -> None:
    document = example("dose.administered")
    del document["payload"]["infusion_minutes"]

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(path="payload.infusion_minutes", message="Field required when route is 'iv'"),
    )


def test_an_iv_dose_without_weight_or_duration_reports_both_fields(
    example: Example, reject: Reject
) -> None:
    document = example("dose.administered")
    del document["payload"]["infusion_minutes"]
    del document["payload"]["patient_weight_kg"]

    paths = [error.path for error in _schema_errors(reject(document))]

    assert paths == ["payload.infusion_minutes", "payload.patient_weight_kg"]


def test_an_intranasal_dose_needs_neither_weight_nor_duration(example: Example) -> None:
    document = example("dose.administered")
    document["payload"] = {
        "medication": "esketamine",
        "route": "intranasal",
        "dose_mg": 84,
        "lot_number": "SPR25A003",
    }

    event = parse_event(_encode(document))

    assert isinstance(event, DoseAdministered)
    assert event.payload.infusion_minutes is None


def test_a_dose_without_lot_number_and_a_zero_amount_reports_both_in_one_line(
    example: Example, reject: Reject
) -> None:
    document = example("dose.administered")
    document["payload"]["dose_mg"] = 0
    del document["payload"]["lot_number"]

    rejection = reject(document)

    assert str(rejection) == (
        "schema_violation: payload.dose_mg: Input should be greater than 0; "
        "payload.lot_number: Field required"
    )


def test_an_implausible_patient_weight_is_rejected(example: Example, reject: Reject) -> None:
    document = example("dose.administered")
    document["payload"]["patient_weight_kg"] = 401

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(
            path="payload.patient_weight_kg", message="Input should be less than or equal to 400"
        ),
    )


@pytest.mark.parametrize("diastolic", [120, 130])
def test_a_systolic_pressure_not_above_diastolic_is_rejected(
    example: Example, reject: Reject, diastolic: int
) -> None:
    document = example("vitals.recorded")
    document["payload"]["systolic_mmhg"] = 120
    document["payload"]["diastolic_mmhg"] = diastolic

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(
            path="payload.systolic_mmhg",
            message="systolic_mmhg must be greater than diastolic_mmhg",
        ),
    )


def test_an_spo2_of_101_percent_is_rejected(example: Example, reject: Reject) -> None:
    document = example("vitals.recorded")
    document["payload"]["spo2_pct"] = 101

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(path="payload.spo2_pct", message="Input should be less than or equal to 100"),
    )


def test_a_fractional_spo2_is_accepted(example: Example) -> None:
    document = example("vitals.recorded")
    document["payload"] = {"spo2_pct": 97.5}

    event = parse_event(_encode(document))

    assert isinstance(event, VitalsRecorded)
    assert event.payload.spo2_pct == 97.5


def test_a_vitals_check_without_any_measurement_is_rejected_at_the_payload(
    example: Example, reject: Reject
) -> None:
    document = example("vitals.recorded")
    document["payload"] = {}

    (error,) = _schema_errors(reject(document))

    assert error.path == "payload"
    assert error.message.startswith("At least one measurement is required")


def test_a_mental_status_observation_alone_is_a_valid_check(example: Example) -> None:
    document = example("vitals.recorded")
    document["payload"] = {"sedation": "mild"}

    event = parse_event(_encode(document))

    assert event.event_type == "vitals.recorded"


@pytest.mark.parametrize(
    ("given", "missing"),
    [("systolic_mmhg", "diastolic_mmhg"), ("diastolic_mmhg", "systolic_mmhg")],
)
def test_half_a_blood_pressure_is_rejected_naming_the_missing_half(
    example: Example, reject: Reject, given: str, missing: str
) -> None:
    document = example("vitals.recorded")
    document["payload"] = {given: 90, "heart_rate_bpm": 70}

    (error,) = _schema_errors(reject(document))

    assert error.path == f"payload.{missing}"
    assert error.message == f"Required when {given} is given (a blood pressure needs both)"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic_mmhg", 39),
        ("systolic_mmhg", 301),
        ("diastolic_mmhg", 19),
        ("heart_rate_bpm", 251),
        ("respiratory_rate", 3),
        ("spo2_pct", 49.9),
    ],
)
def test_vital_signs_outside_their_plausible_range_are_rejected(
    example: Example, reject: Reject, field: str, value: float
) -> None:
    document = example("vitals.recorded")
    document["payload"][field] = value

    paths = [error.path for error in _schema_errors(reject(document))]

    assert f"payload.{field}" in paths


def test_a_fractional_blood_pressure_is_rejected_because_mmhg_are_integers(
    example: Example, reject: Reject
) -> None:
    document = example("vitals.recorded")
    document["payload"]["systolic_mmhg"] = 128.5

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(path="payload.systolic_mmhg", message="Input should be a valid integer"),
    )


@pytest.mark.parametrize(
    ("event_type", "where", "field"),
    [
        ("vitals.recorded", ("payload",), "systolic_mmhg"),
        ("profile.changed", ("payload", "settings"), "monitoring_max_gap_minutes"),
    ],
)
def test_an_integer_written_with_a_zero_fraction_is_that_integer_as_json_schema_reads_it(
    example: Example, event_type: str, where: tuple[str, ...], field: str
) -> None:
    document = example(event_type)
    written = document
    for key in where:
        written = written[key]
    written[field] = 128.0
    whole = copy.deepcopy(document)
    parent = whole
    for key in where:
        parent = parent[key]
    parent[field] = 128

    as_float = parse_event(json.dumps(document).encode())
    as_int = parse_event(json.dumps(whole).encode())

    # The same event: the same canonical bytes, so the same hash and idempotency key.
    assert canonical_json(as_float) == canonical_json(as_int)
    assert b'":128,' in canonical_json(as_float) or b'":128}' in canonical_json(as_float)


def test_the_string_true_is_not_a_boolean(example: Example, reject: Reject) -> None:
    document = example("patient.discharged")
    document["payload"]["escort_present"] = "true"

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(path="payload.escort_present", message="Input should be a valid boolean"),
    )


def test_a_number_in_a_string_is_not_a_dose(example: Example, reject: Reject) -> None:
    document = example("dose.administered")
    document["payload"]["dose_mg"] = "56"

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="payload.dose_mg", message="Input should be a valid number"),)


@pytest.mark.parametrize(
    "timestamp", ["2025-03-04T09:05:00", "2025-03-04T09:05:00.250"], ids=["seconds", "fraction"]
)
def test_a_timestamp_without_offset_is_rejected(
    example: Example, reject: Reject, timestamp: str
) -> None:
    document = example("vitals.recorded")
    document["occurred_at"] = timestamp

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="occurred_at", message="Input should have timezone info"),)


def test_a_scheduled_start_without_offset_is_rejected(example: Example, reject: Reject) -> None:
    document = example("session.scheduled")
    document["payload"]["scheduled_start"] = "2025-03-04T09:00:00"

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(path="payload.scheduled_start", message="Input should have timezone info"),
    )


def test_a_null_session_id_on_a_session_level_event_is_rejected_with_the_reason(
    example: Example, reject: Reject
) -> None:
    document = example("dose.administered")
    document["session_id"] = None

    (error,) = _schema_errors(reject(document))

    assert error.path == "session_id"
    assert error.message.startswith("session_id is required for dose.administered events")
    assert all(event_type in error.message for event_type in PATIENT_LEVEL_EVENT_TYPES)


def test_a_missing_session_id_on_a_session_level_event_is_rejected(
    example: Example, reject: Reject
) -> None:
    document = example("session.started")
    del document["session_id"]

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="session_id", message="Field required"),)


@pytest.mark.parametrize("session_id", [None, "omitted", "sess-0042"])
@pytest.mark.parametrize(
    "event_type", ["consent.given", "consent.withdrawn", "rems.patient_enrolled"]
)
def test_patient_level_events_may_carry_a_session_id_or_not(
    example: Example, event_type: str, session_id: str | None
) -> None:
    document = example(event_type)
    if session_id == "omitted":
        del document["session_id"]
    else:
        document["session_id"] = session_id

    event = parse_event(_encode(document))

    assert event.session_id == (None if session_id == "omitted" else session_id)


def test_an_unknown_actor_role_is_rejected_listing_the_roles(
    example: Example, reject: Reject
) -> None:
    document = example("session.started")
    document["actor"]["role"] = "receptionist"

    (error,) = _schema_errors(reject(document))

    assert error.path == "actor.role"
    assert "'prescriber'" in error.message
    assert "'system'" in error.message


@pytest.mark.parametrize("field", sorted(SERVER_FIELDS))
def test_a_server_assigned_field_from_a_publisher_is_rejected_as_not_permitted(
    example: Example, reject: Reject, field: str
) -> None:
    document = example("session.started")
    document[field] = "0" * 64

    (error,) = _schema_errors(reject(document))

    assert error.path == field
    assert error.message.startswith("Extra field not permitted")
    assert "assigned by the audit service" in error.message


def test_an_unknown_payload_field_is_rejected_as_not_permitted(
    example: Example, reject: Reject
) -> None:
    document = example("dose.wasted")
    document["payload"]["patient_name"] = "Jane Doe"

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="payload.patient_name", message="Extra field not permitted"),)


def test_a_payload_on_a_payload_less_event_is_rejected(example: Example, reject: Reject) -> None:
    document = example("session.ended")
    document["payload"] = {"note": "all fine"}

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="payload.note", message="Extra field not permitted"),)


def test_a_waste_without_a_witness_is_rejected(example: Example, reject: Reject) -> None:
    document = example("dose.wasted")
    del document["payload"]["witness_id"]

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="payload.witness_id", message="Field required"),)


def test_a_note_hash_in_uppercase_hex_is_rejected(example: Example, reject: Reject) -> None:
    document = example("integration_note.recorded")
    document["payload"]["note_sha256"] = document["payload"]["note_sha256"].upper()

    (error,) = _schema_errors(reject(document))

    assert error.path == "payload.note_sha256"
    assert "[0-9a-f]{64}" in error.message


def test_an_amendment_without_corrections_is_rejected(example: Example, reject: Reject) -> None:
    document = example("record.amended")
    document["payload"]["corrected"] = {}

    (error,) = _schema_errors(reject(document))

    assert error.path == "payload.corrected"


def test_an_amendment_may_correct_a_value_to_null(example: Example) -> None:
    document = example("record.amended")
    document["payload"]["corrected"] = {"container_id": None}

    event = parse_event(_encode(document))

    assert isinstance(event, RecordAmended)
    assert event.payload.corrected == {"container_id": None}


def test_an_event_cannot_amend_itself(example: Example, reject: Reject) -> None:
    document = example("record.amended")
    document["payload"]["amends_event_id"] = document["event_id"]

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(path="payload.amends_event_id", message="An event cannot amend itself"),
    )


def test_an_amendment_with_a_blank_reason_is_rejected(example: Example, reject: Reject) -> None:
    document = example("record.amended")
    document["payload"]["reason"] = "   "

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="payload.reason", message="String should not be blank"),)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "String should have at least 1 character"),
        ("x" * 65, "String should have at most 64 characters"),
        ("clinic/demo", "String should not contain '/'"),
    ],
)
def test_a_clinic_id_must_be_a_non_empty_short_slash_free_id(
    example: Example, reject: Reject, value: str, message: str
) -> None:
    document = example("session.started")
    document["clinic_id"] = value

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path="clinic_id", message=message),)


def test_free_text_longer_than_1000_characters_is_rejected(
    example: Example, reject: Reject
) -> None:
    document = example("adverse_event.reported")
    document["payload"]["action_taken"] = "x" * 1001

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(
            path="payload.action_taken", message="String should have at most 1000 characters"
        ),
    )


def test_a_malformed_event_id_is_rejected(example: Example, reject: Reject) -> None:
    document = example("session.started")
    document["event_id"] = "not-a-uuid"

    (error,) = _schema_errors(reject(document))

    assert error.path == "event_id"
    assert "UUID" in error.message


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode("utf-8")


def test_a_nul_byte_in_an_identifier_is_rejected_naming_the_field() -> None:
    import json

    from events import EventRejected, parse_event
    from events.examples import EXAMPLES

    document = {**EXAMPLES["session.started"], "patient_id": "pt-\u0000-1"}
    with pytest.raises(EventRejected) as rejected:
        parse_event(json.dumps(document).encode())
    assert [(e.path, e.message) for e in rejected.value.errors] == [
        ("patient_id", "String should not contain control characters")
    ]


@pytest.mark.parametrize(
    "occurred_at", ["0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z"]
)
def test_a_timestamp_outside_1970_to_2999_is_rejected_naming_the_field(occurred_at: str) -> None:
    import json

    from events import EventRejected, parse_event
    from events.examples import EXAMPLES

    document = {**EXAMPLES["session.started"], "occurred_at": occurred_at}
    with pytest.raises(EventRejected) as rejected:
        parse_event(json.dumps(document).encode())
    assert [(e.path, e.message) for e in rejected.value.errors] == [
        ("occurred_at", "Timestamp should lie between the years 1970 and 2999")
    ]


@pytest.mark.parametrize(
    ("event_type", "field", "value", "message"),
    [
        ("dose.administered", "dose_mg", 1e308, "Input should be less than or equal to 1000"),
        ("dose.administered", "dose_mg", 1e15, "Input should be less than or equal to 1000"),
        ("dose.administered", "infusion_minutes", 1e6, "Input should be less than or equal to 480"),
        (
            "dose.administered",
            "patient_weight_kg",
            2,
            "Input should be greater than or equal to 20",
        ),
        ("dose.wasted", "amount_mg", 1e308, "Input should be less than or equal to 5000"),
    ],
)
def test_an_extreme_clinical_number_is_rejected_naming_the_field_and_its_range(
    example: Example, reject: Reject, event_type: str, field: str, value: float, message: str
) -> None:
    document = example(event_type)
    document["payload"][field] = value

    errors = _schema_errors(reject(document))

    assert errors == (FieldError(path=f"payload.{field}", message=message),)


def test_the_largest_dose_in_range_is_accepted(example: Example) -> None:
    document = example("dose.administered")
    document["payload"]["dose_mg"] = 1000

    assert parse_event(json.dumps(document).encode()).payload.dose_mg == 1000  # type: ignore[union-attr]


def test_a_correction_to_an_extreme_dose_is_rejected_as_the_dose_itself_would_be(
    example: Example, reject: Reject
) -> None:
    document = example("record.amended")
    document["payload"]["corrected"] = {"dose_mg": 1e15}

    errors = _schema_errors(reject(document))

    assert errors == (
        FieldError(
            path="payload.corrected.dose_mg", message="Input should be less than or equal to 1000"
        ),
    )
