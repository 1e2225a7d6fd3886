"""The payload fields a `record.amended` may correct, each with the validator of its type.

A correction is validated field by field when it is published, as the field it corrects:
a `dose_mg` must be a dose, a `reason` a text of at most 1000 characters. So a correction
can hold nothing that the corrected event itself could not, and its size is bounded by the
contract's own limits on those fields.
"""

import functools
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from events.envelope import PatientLevelEvent, SessionLevelEvent

__all__ = ["correctable_fields", "corrected_value", "correction_problem", "corrections_schema"]


@functools.cache
def correctable_fields() -> Mapping[str, tuple[TypeAdapter[Any], ...]]:
    """Payload field name -> the validators of that field in the event types that have it.

    Every clinical event type, patient- or session-level, is correctable; a correction of
    a correction, or of a read, is not one.
    """
    # Imported here, not at the top: the catalogue imports this module (via amendment).
    from events.catalogue import EVENT_TYPES

    validators: dict[str, list[TypeAdapter[Any]]] = {}
    for event_class in EVENT_TYPES.values():
        if not issubclass(event_class, PatientLevelEvent | SessionLevelEvent):
            continue
        payload_class = event_class.model_fields["payload"].annotation
        assert isinstance(payload_class, type)
        for name, info in payload_class.model_fields.items():
            annotated: Any = Annotated[info.annotation, info]
            validators.setdefault(name, []).append(TypeAdapter(annotated))
    return MappingProxyType({name: tuple(found) for name, found in sorted(validators.items())})


def correction_problem(
    name: str, value: Any, *, context: Mapping[str, Any] | None = None
) -> str | None:
    """Why ``value`` cannot be the corrected value of payload field ``name``, or None.

    A name shared by several event types (``witness_id``, ``medication``) is accepted when
    the value is valid for any of them; the projections check it against the corrected
    event's own type when they apply it. ``context`` is the event's validation context
    (a stored event is read as it was taken: ``primitives.READ_BACK``).
    """
    return _checked(name, value, context=context)[0]


def corrected_value(name: str, value: Any) -> Any:
    """The value to record for a valid correction: as sent, except that an integer field's
    value sent as a whole number with a fraction (``120.0``) is recorded as ``120``, as the
    field itself records it, so both forms are the same bytes and the same event."""
    if type(value) is float and value.is_integer():
        validated = _checked(name, value, context=None)[1]
        if type(validated) is int:
            return validated
    return value


def _checked(name: str, value: Any, *, context: Mapping[str, Any] | None) -> tuple[str | None, Any]:
    adapters = correctable_fields().get(name)
    if adapters is None:
        return "Not a payload field of any correctable event type", None
    encoded = json.dumps(value, allow_nan=False)
    problem = ""
    for adapter in adapters:
        try:
            validated = adapter.validate_json(encoded, strict=True, context=context)
        except ValidationError as invalid:
            problem = problem or invalid.errors(include_url=False)[0]["msg"]
        else:
            return None, validated
    return problem, None


def corrections_schema() -> dict[str, Any]:
    """The JSON Schema of a ``corrected`` object: each correctable field name, with the
    values any event type that has it allows (what ``correction_problem`` checks)."""
    properties: dict[str, Any] = {}
    for name, adapters in correctable_fields().items():
        choices: list[Any] = []
        for adapter in adapters:
            choice = _inlined(adapter.json_schema())
            for noise in ("default", "title", "description"):
                choice.pop(noise, None)
            if choice not in choices:
                choices.append(choice)
        properties[name] = choices[0] if len(choices) == 1 else {"anyOf": choices}
    return {"propertyNames": {"enum": list(properties)}, "properties": properties}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    # A field's own schema names its enums under $defs; inside another model's schema
    # those names would point nowhere, and every enum here is small.
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
