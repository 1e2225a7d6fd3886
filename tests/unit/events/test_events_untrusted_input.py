"""parse_event on hostile or broken bytes: each stage's rejection reason, in order."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import (
    MAX_EVENT_BYTES,
    MAX_NESTING_DEPTH,
    EventRejected,
    FieldError,
    RejectionReason,
    canonical_json,
    parse_event,
    parse_event_with_canonical,
    read_stored_event,
)
from events.examples import EXAMPLES

Example = Callable[[str], dict[str, Any]]
Reject = Callable[[Any], EventRejected]
RejectBytes = Callable[[bytes], EventRejected]


def test_an_event_one_byte_over_256_kib_is_too_large(
    example: Example, reject_bytes: RejectBytes
) -> None:
    document = example("adverse_event.reported")
    raw = json.dumps(document).encode("utf-8")
    padded = raw[:-1] + b" " * (MAX_EVENT_BYTES + 1 - len(raw)) + b"}"

    rejection = reject_bytes(padded)

    assert len(padded) == 256 * 1024 + 1
    assert rejection.reason is RejectionReason.TOO_LARGE
    assert rejection.errors[0].path == "(root)"


def test_an_event_of_exactly_256_kib_is_accepted(example: Example) -> None:
    raw = json.dumps(example("session.started")).encode("utf-8")
    padded = raw[:-1] + b" " * (MAX_EVENT_BYTES - len(raw)) + b"}"

    event = parse_event(padded)

    assert len(padded) == MAX_EVENT_BYTES
    assert event.event_type == "session.started"


def test_size_is_checked_before_anything_else(reject_bytes: RejectBytes) -> None:
    rejection = reject_bytes(b"\xff" * (MAX_EVENT_BYTES + 1))

    assert rejection.reason is RejectionReason.TOO_LARGE


def test_bytes_that_are_not_utf8_are_rejected_with_the_offset(
    reject_bytes: RejectBytes,
) -> None:
    rejection = reject_bytes(b'{"event_type": "\xc3\x28"}')

    assert rejection.reason is RejectionReason.INVALID_UTF8
    assert rejection.errors[0].path == "(root)"
    assert "at byte 16" in rejection.errors[0].message


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"{'event_type': 1}", b'{"a": 1,}', b"not json"],
    ids=["empty", "truncated", "single-quotes", "trailing-comma", "text"],
)
def test_text_that_is_not_json_is_invalid_json(reject_bytes: RejectBytes, raw: bytes) -> None:
    rejection = reject_bytes(raw)

    assert rejection.reason is RejectionReason.INVALID_JSON
    assert rejection.errors[0].message.startswith("Invalid JSON")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(b"[]", "an array"), (b'"event"', "a string"), (b"42", "a number"), (b"null", "null")],
)
def test_json_that_is_not_an_object_is_invalid_json(
    reject_bytes: RejectBytes, raw: bytes, kind: str
) -> None:
    rejection = reject_bytes(raw)

    assert rejection.reason is RejectionReason.INVALID_JSON
    assert rejection.errors == (
        FieldError(path="(root)", message=f"Expected a JSON object, got {kind}"),
    )


def test_an_example_wrapped_in_an_array_is_rejected(reject: Reject) -> None:
    rejection = reject([EXAMPLES["session.started"]])

    assert rejection.reason is RejectionReason.INVALID_JSON


def test_duplicate_keys_are_rejected_because_parsers_disagree_on_which_wins(
    reject_bytes: RejectBytes,
) -> None:
    rejection = reject_bytes(b'{"event_type": "session.started", "event_type": "dose.wasted"}')

    assert rejection.reason is RejectionReason.INVALID_JSON
    assert "duplicate key 'event_type'" in rejection.errors[0].message


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_numbers_are_invalid_json(reject_bytes: RejectBytes, literal: bytes) -> None:
    rejection = reject_bytes(b'{"event_type": "vitals.recorded", "x": ' + literal + b"}")

    assert rejection.reason is RejectionReason.INVALID_JSON


def test_a_lone_surrogate_escape_is_invalid_json(reject_bytes: RejectBytes) -> None:
    rejection = reject_bytes(b'{"event_type": "session.started", "source": "\\ud800"}')

    assert rejection.reason is RejectionReason.INVALID_JSON
    assert "surrogate" in rejection.errors[0].message


@pytest.mark.parametrize("event_type", sorted(set(EXAMPLES) - {"access.recorded"}))
def test_text_with_escapes_and_without_gives_the_same_event_and_bytes(
    example: Example, event_type: str
) -> None:
    # Text without a "\\u" escape skips the surrogate check's re-encoding; it must come
    # out exactly as the same event written with escapes (a pair included) does.
    document = example(event_type)
    document["source"] = "ehr-\u00e9t\u00e9/\U0001f600"
    plain = json.dumps(document, ensure_ascii=False).encode("utf-8")
    escaped = json.dumps(document, ensure_ascii=True).encode("utf-8")
    assert b"\\u" not in plain
    assert b"\\ud83d\\ude00" in escaped

    assert parse_event_with_canonical(plain) == parse_event_with_canonical(escaped)


def test_absurdly_deep_nesting_is_invalid_json_not_a_crash(reject_bytes: RejectBytes) -> None:
    rejection = reject_bytes(b"[" * 100_000 + b"]" * 100_000)

    assert rejection.reason is RejectionReason.INVALID_JSON


def _amendment_nested(depth: int) -> bytes:
    """The amendment example with a corrected value that takes the document to `depth`."""
    raw = json.dumps(EXAMPLES["record.amended"]).encode("utf-8")
    brackets = depth - 3  # the envelope, payload and corrected objects are the first three
    deep = b"[" * brackets + b"]" * brackets
    return raw.replace(b'"corrected": {', b'"corrected": {"x": ' + deep + b", ")


@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH + 1, 900, 5_000])
def test_nesting_deeper_than_the_limit_is_rejected_not_a_crash(
    reject_bytes: RejectBytes, depth: int
) -> None:
    rejection = reject_bytes(_amendment_nested(depth))

    assert rejection.reason is RejectionReason.INVALID_JSON
    assert rejection.errors == (
        FieldError(path="(root)", message=f"JSON nested deeper than {MAX_NESTING_DEPTH} levels"),
    )


def test_nesting_up_to_the_limit_passes_the_depth_check_and_meets_the_schema(
    reject_bytes: RejectBytes,
) -> None:
    # No corrected field holds a nested value, so the schema refuses it, not the JSON reader.
    rejection = reject_bytes(_amendment_nested(MAX_NESTING_DEPTH))

    assert rejection.reason is RejectionReason.SCHEMA_VIOLATION
    assert [error.path for error in rejection.errors] == ["payload.corrected.x"]


@pytest.mark.parametrize(
    ("event_type", "message_start"),
    [
        ("dose.given", "Unknown event type; expected one of: consent.given"),
        (7, "Unknown event type"),
        (None, "Unknown event type"),
    ],
)
def test_an_unknown_event_type_is_rejected_at_event_type(
    example: Example, reject: Reject, event_type: Any, message_start: str
) -> None:
    document = example("dose.administered")
    document["event_type"] = event_type

    rejection = reject(document)

    assert rejection.reason is RejectionReason.UNKNOWN_EVENT_TYPE
    (error,) = rejection.errors
    assert error.path == "event_type"
    assert error.message.startswith(message_start)


def test_a_missing_event_type_is_an_unknown_event_type(example: Example, reject: Reject) -> None:
    document = example("dose.administered")
    del document["event_type"]

    rejection = reject(document)

    assert rejection.reason is RejectionReason.UNKNOWN_EVENT_TYPE
    assert rejection.errors == (FieldError(path="event_type", message="Field required"),)


def test_the_event_type_is_checked_before_the_schema_version(
    example: Example, reject: Reject
) -> None:
    document = example("dose.administered")
    document["event_type"] = "dose.given"
    document["schema_version"] = 99

    assert reject(document).reason is RejectionReason.UNKNOWN_EVENT_TYPE


def test_a_future_schema_version_is_unsupported_naming_the_supported_version(
    example: Example, reject: Reject
) -> None:
    document = example("dose.administered")
    document["schema_version"] = 2

    rejection = reject(document)

    assert rejection.reason is RejectionReason.UNSUPPORTED_SCHEMA_VERSION
    assert rejection.errors == (
        FieldError(
            path="schema_version",
            message="Schema version 2 of dose.administered is not supported; "
            "the supported version is 1",
        ),
    )


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None, 10**30])
def test_a_schema_version_that_is_not_a_known_integer_is_unsupported(
    example: Example, reject: Reject, version: Any
) -> None:
    document = example("session.started")
    document["schema_version"] = version

    rejection = reject(document)

    assert rejection.reason is RejectionReason.UNSUPPORTED_SCHEMA_VERSION
    assert rejection.errors[0].path == "schema_version"
    assert rejection.errors[0].message.endswith("the supported version is 1")


def test_a_missing_schema_version_is_unsupported(example: Example, reject: Reject) -> None:
    document = example("session.started")
    del document["schema_version"]

    rejection = reject(document)

    assert rejection.reason is RejectionReason.UNSUPPORTED_SCHEMA_VERSION
    assert rejection.errors[0].message.startswith("Field required")


def test_the_schema_version_is_checked_before_the_schema(example: Example, reject: Reject) -> None:
    document = example("dose.administered")
    document["schema_version"] = 2
    document["payload"] = {}

    assert reject(document).reason is RejectionReason.UNSUPPORTED_SCHEMA_VERSION


def test_a_payload_that_is_not_an_object_is_a_schema_violation(
    example: Example, reject: Reject
) -> None:
    document = example("session.started")
    document["payload"] = []

    rejection = reject(document)

    assert rejection.reason is RejectionReason.SCHEMA_VIOLATION
    assert [error.path for error in rejection.errors] == ["payload"]


@settings(max_examples=300)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_either_parse_or_are_rejected_never_crash(raw: bytes) -> None:
    rejection = _rejection_or_none(raw)

    assert rejection is None or rejection.errors


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300)
@given(
    event_type=st.sampled_from(list(EXAMPLES)),
    field=st.sampled_from(
        ["occurred_at", "session_id", "actor", "payload", "source", "event_id", "extra"]
    ),
    value=_json_values,
)
def test_an_example_with_any_field_replaced_parses_or_is_rejected_with_paths(
    event_type: str, field: str, value: Any
) -> None:
    document = dict(EXAMPLES[event_type], **{field: value})

    rejection = _rejection_or_none(json.dumps(document).encode("utf-8"))

    if rejection is not None:
        assert rejection.reason is RejectionReason.SCHEMA_VIOLATION
        assert all(error.path and error.message for error in rejection.errors)


def _rejection_or_none(raw: bytes) -> EventRejected | None:
    """Parse `raw`; any exception other than EventRejected propagates and fails the test."""
    try:
        parse_event(raw)
    except EventRejected as rejection:
        return rejection
    return None


def _amendment_with_numbers(count: int) -> bytes:
    """The shape that froze every read model: 1E15 is 4 bytes published, 18 stored."""
    document = json.loads(json.dumps(EXAMPLES["record.amended"]))
    document["payload"]["corrected"] = {f"f{i}": 1e15 for i in range(count)}
    return json.dumps(document).replace("1000000000000000.0", "1E15").encode("utf-8")


def test_an_amendment_padded_with_numbers_that_expand_when_stored_is_rejected_at_ingest(
    reject_bytes: RejectBytes,
) -> None:
    raw = _amendment_with_numbers(16_000)
    assert len(raw) < MAX_EVENT_BYTES

    rejection = reject_bytes(raw)

    assert rejection.reason is RejectionReason.SCHEMA_VIOLATION
    assert rejection.errors[0] == FieldError(
        path="payload.corrected.f0", message="Not a payload field of any correctable event type"
    )


def test_an_event_whose_canonical_form_is_over_the_limit_is_too_large(
    monkeypatch: pytest.MonkeyPatch, reject_bytes: RejectBytes
) -> None:
    document = json.loads(json.dumps(EXAMPLES["dose.administered"]))
    document["payload"]["dose_mg"] = 1000
    raw = json.dumps(document, separators=(",", ":")).replace('"dose_mg":1000', '"dose_mg":1E3')
    canonical = canonical_json(parse_event(raw.encode("utf-8")))
    assert len(canonical) > len(raw)
    # The published bytes are within the limit; what the log would store is not.
    monkeypatch.setattr("events.parsing.MAX_EVENT_BYTES", len(raw))

    rejection = reject_bytes(raw.encode("utf-8"))

    assert rejection.reason is RejectionReason.TOO_LARGE
    assert rejection.errors[0].message.startswith(f"Event is {len(canonical)} bytes in canonical")


def test_a_stored_event_is_read_back_without_the_ingest_size_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canonical = canonical_json(parse_event(json.dumps(EXAMPLES["vitals.recorded"]).encode()))
    monkeypatch.setattr("events.parsing.MAX_EVENT_BYTES", 10)

    assert read_stored_event(canonical).event_type == "vitals.recorded"
