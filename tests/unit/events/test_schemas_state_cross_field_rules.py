"""The published JSON Schemas refuse what the contract's validators refuse, across fields
and within strings, where JSON Schema can say it, and accept every valid example: a
publisher that validates with them learns of a bad event before sending it, not from the
dead-letter topic."""

from __future__ import annotations

import copy
import functools
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter, ValidationError

from events import EVENT_TYPES, EventRejected, parse_event
from events.correctable import correctable_fields, correction_problem
from events.examples import EXAMPLES
from events.primitives import ClinicId, Identifier, Instant, Label, Text
from events.schema_export import UNION_SCHEMA_FILENAME, render_schemas


@functools.cache
def _validator(filename: str) -> Draft202012Validator:
    schema = json.loads(render_schemas()[filename])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _with_payload(event_type: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLES[event_type])
    for name, value in changes.items():
        if value is _OMITTED:
            doc["payload"].pop(name, None)
        else:
            doc["payload"][name] = value
    return doc


_OMITTED = object()

_REFUSED = {
    "an IV dose without its infusion time": _with_payload(
        "dose.administered", infusion_minutes=_OMITTED
    ),
    "an IV dose with a null weight": _with_payload("dose.administered", patient_weight_kg=None),
    "a monitoring check with no measurement": {
        **EXAMPLES["vitals.recorded"],
        "payload": {"dissociation": None},
    },
    "a systolic pressure without its diastolic": {
        **EXAMPLES["vitals.recorded"],
        "payload": {"systolic_mmhg": 120},
    },
    "a diastolic pressure without its systolic": {
        **EXAMPLES["vitals.recorded"],
        "payload": {"diastolic_mmhg": 80, "heart_rate_bpm": 70},
    },
    "a profile change about a patient": {**EXAMPLES["profile.changed"], "patient_id": "pt-1"},
    "a profile change of no setting": _with_payload("profile.changed", settings={}),
    "a profile change of null settings only": _with_payload(
        "profile.changed", settings={"monitoring_max_gap_minutes": None, "rules": None}
    ),
}

_ACCEPTED = {
    "an IM dose without infusion time or weight": _with_payload(
        "dose.administered",
        route="im",
        infusion_minutes=_OMITTED,
        patient_weight_kg=_OMITTED,
    ),
    "a monitoring check of one heart rate": {
        **EXAMPLES["vitals.recorded"],
        "payload": {"heart_rate_bpm": 70, "systolic_mmhg": None},
    },
    "an instant written in 1970 that is 1969 in UTC": {
        **EXAMPLES["session.started"],
        "occurred_at": "1970-01-01T05:00:00+08:00",
    },
    "a profile change of one setting among nulls": _with_payload(
        "profile.changed", settings={"monitoring_max_gap_minutes": 10, "rules": None}
    ),
}


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_example_is_valid_by_its_schema_and_by_the_union(event_type: str) -> None:
    doc = EXAMPLES[event_type]

    assert list(_validator(f"{event_type}.json").iter_errors(doc)) == []
    assert list(_validator(UNION_SCHEMA_FILENAME).iter_errors(doc)) == []


@pytest.mark.parametrize("doc", list(_REFUSED.values()), ids=list(_REFUSED))
def test_what_the_contract_refuses_across_fields_the_schema_refuses_too(
    doc: dict[str, Any],
) -> None:
    with pytest.raises(EventRejected):
        parse_event(json.dumps(doc).encode())

    assert not _validator(f"{doc['event_type']}.json").is_valid(doc)
    assert not _validator(UNION_SCHEMA_FILENAME).is_valid(doc)


@pytest.mark.parametrize("doc", list(_ACCEPTED.values()), ids=list(_ACCEPTED))
def test_what_the_contract_accepts_the_schema_accepts(doc: dict[str, Any]) -> None:
    parse_event(json.dumps(doc).encode())

    assert list(_validator(f"{doc['event_type']}.json").iter_errors(doc)) == []
    assert list(_validator(UNION_SCHEMA_FILENAME).iter_errors(doc)) == []


_TRICKY = st.text(
    alphabet=st.sampled_from(
        [
            *(" ", "\t", "\x00", "\x1f", "\x7f", "\x85", "\xa0", "\u2003", "\u3000", "\ufeff"),
            *("/", "a", "Z", "7", "-", "é", "\U0001f600"),
        ]
    ),
    max_size=6,
)


@pytest.mark.parametrize(
    ("kind", "adapter"),
    [
        ("Identifier", TypeAdapter(Identifier)),
        ("ClinicId", TypeAdapter(ClinicId)),
        ("Label", TypeAdapter(Label)),
        ("Text", TypeAdapter(Text)),
    ],
)
@given(value=_TRICKY)
def test_a_strings_schema_pattern_accepts_exactly_what_its_validators_accept(
    kind: str, adapter: TypeAdapter[str], value: str
) -> None:
    schema = adapter.json_schema()
    by_schema = Draft202012Validator(schema).is_valid(value)
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        by_model = False
    else:
        by_model = True

    assert by_schema == by_model, f"{kind} {value!r}: schema {by_schema}, model {by_model}"


@given(
    instant=st.datetimes(
        min_value=datetime(1960, 1, 1), max_value=datetime(3010, 1, 1), timezones=st.timezones()
    )
)
def test_an_instants_schema_accepts_exactly_the_years_its_validator_accepts(
    instant: datetime,
) -> None:
    adapter = TypeAdapter(Instant)
    text = instant.isoformat()
    by_schema = Draft202012Validator(
        adapter.json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    ).is_valid(text)
    try:
        adapter.validate_json(json.dumps(text))
    except ValidationError:
        by_model = False
    else:
        by_model = True

    assert by_schema == by_model, f"{text}: schema {by_schema}, model {by_model}"


_CORRECTABLE = sorted(correctable_fields())
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=6000),
    st.floats(min_value=-10, max_value=6000, allow_nan=False),
    st.sampled_from(["", " ", "ketamine", "iv", "severe", "a" * 65, "2026-11-24T09:00:00Z"]),
    st.sampled_from(["0" * 64, "\x07", "moderate", "spravato-rems", "hypertension"]),
)


@given(name=st.sampled_from([*_CORRECTABLE, "no_such_field"]), value=_VALUES)
def test_a_corrections_schema_accepts_exactly_the_values_the_contract_accepts(
    name: str, value: object
) -> None:
    doc = _with_payload("record.amended", corrected={name: value})
    by_schema = _validator("record.amended.json").is_valid(doc)
    by_contract = correction_problem(name, value) is None

    assert by_schema == by_contract, f"{name}={value!r}: schema {by_schema}"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-24T09:00:00-07:00",
        "2026-11-24t09:00:00z",
        "2026-11-24T09:00:00.123456789Z",
        "1700000000",
        "0000000000000000",
        "2026-11-24 09:00:00Z",
        "2026-11-24T09:00Z",
        "2026-11-24T09:00:00",
        "2026-11-24T09:00:00+0530",
        "2026-11-24T09:00:00,5Z",
        "2026-11-24T24:00:00Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+14:00",
        "3000-01-01T00:00:00Z",
    ],
)
def test_an_instant_is_valid_by_the_schema_exactly_when_the_contract_takes_it(text: str) -> None:
    doc = {**EXAMPLES["session.started"], "occurred_at": text}
    by_schema = _validator("session.started.json").is_valid(doc)
    try:
        parse_event(json.dumps(doc).encode())
    except EventRejected:
        by_contract = False
    else:
        by_contract = True

    assert by_schema == by_contract, f"{text}: schema {by_schema}, contract {by_contract}"
