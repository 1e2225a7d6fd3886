import dataclasses
import pickle

import pytest

from events import EventRejected, FieldError, RejectionReason


def test_a_rejection_reads_as_one_line_with_reason_paths_and_messages() -> None:
    rejection = EventRejected(
        reason=RejectionReason.SCHEMA_VIOLATION,
        errors=[
            FieldError(path="payload.dose_mg", message="Input should be greater than 0"),
            FieldError(path="payload.lot_number", message="Field required"),
        ],
    )

    assert str(rejection) == (
        "schema_violation: payload.dose_mg: Input should be greater than 0; "
        "payload.lot_number: Field required"
    )


def test_a_rejection_keeps_its_reason_and_errors_as_attributes() -> None:
    error = FieldError(path="(root)", message="duplicate")
    rejection = EventRejected(reason=RejectionReason.CONFLICT, errors=[error])

    assert rejection.reason is RejectionReason.CONFLICT
    assert rejection.errors == (error,)


def test_a_rejection_takes_keyword_arguments_only() -> None:
    with pytest.raises(TypeError):
        EventRejected(RejectionReason.CONFLICT, [])  # type: ignore[call-arg]


def test_a_rejection_survives_pickling_for_hand_off_between_processes() -> None:
    rejection = EventRejected(
        reason=RejectionReason.TOO_LARGE, errors=[FieldError(path="(root)", message="big")]
    )

    copy = pickle.loads(pickle.dumps(rejection))

    assert (copy.reason, copy.errors, str(copy)) == (
        rejection.reason,
        rejection.errors,
        str(rejection),
    )


def test_a_field_error_is_immutable() -> None:
    error = FieldError(path="actor.role", message="bad")

    with pytest.raises(dataclasses.FrozenInstanceError):
        error.path = "actor.id"  # type: ignore[misc]


def test_rejection_reasons_are_the_wire_strings_of_the_contract() -> None:
    assert {reason.value for reason in RejectionReason} == {
        "too_large",
        "invalid_utf8",
        "invalid_json",
        "unknown_event_type",
        "unsupported_schema_version",
        "schema_violation",
        "wrong_topic",
        "conflict",
        "unstorable",
    }
