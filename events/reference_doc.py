"""The generated part of docs/EVENTS.md: the catalogue with field tables and examples.

Tables come from the models' JSON Schemas and examples from `EXAMPLES`, so the document
cannot drift from the contract. Regenerate with `python -m events.reference_doc docs/EVENTS.md`.
"""

import json
import sys
from pathlib import Path
from typing import Any, Final

from events.catalogue import CLINIC_LEVEL_EVENT_TYPES, EVENT_TYPES, PATIENT_LEVEL_EVENT_TYPES
from events.examples import EXAMPLES
from events.routing import ACCESS_TOPIC

__all__ = ["BEGIN_MARKER", "END_MARKER", "render_catalogue", "update_document"]

BEGIN_MARKER: Final = "<!-- BEGIN GENERATED CATALOGUE (python -m events.reference_doc) -->"
"""Line that opens the generated region of the document."""

END_MARKER: Final = "<!-- END GENERATED CATALOGUE -->"
"""Line that closes the generated region of the document."""


def render_catalogue() -> str:
    """Markdown for every event type: summary, payload table and a valid example."""
    return "\n".join(_render_event_type(event_type) for event_type in EVENT_TYPES)


def update_document(text: str) -> str:
    """`text` with the region between the markers replaced by `render_catalogue()`."""
    head, begin, rest = text.partition(BEGIN_MARKER)
    _, end, tail = rest.partition(END_MARKER)
    if not begin or not end:
        raise ValueError(f"the document needs the lines {BEGIN_MARKER!r} and {END_MARKER!r}")
    return f"{head}{BEGIN_MARKER}\n\n{render_catalogue()}\n{END_MARKER}{tail}"


def _render_event_type(event_type: str) -> str:
    event_class = EVENT_TYPES[event_type]
    schema = event_class.model_json_schema()
    definitions: dict[str, Any] = schema.get("$defs", {})
    payload = _resolve(schema["properties"]["payload"], definitions=definitions)
    if event_type == "access.recorded":
        scope = (
            f"Written by kapaudit only, on its own topic `{ACCESS_TOPIC}`: publishers cannot "
            "send it. `session_id` may be null or omitted; chained per patient in "
            "`<clinic_id>/access/<patient_id>`, apart from the clinical chains, and keyed per "
            "patient. A clinic-level read (a look at the access report, schema version 3 on) "
            "names patient `-` and no session, and is chained and keyed per clinic in "
            "`<clinic_id>/access`."
        )
    elif event_type in CLINIC_LEVEL_EVENT_TYPES:
        scope = (
            "Clinic-level: about no patient and no session (`patient_id` is always `-`, "
            "`session_id` null or omitted); chained and keyed per clinic and protocol in "
            "`<clinic_id>/profile/<protocol>`."
        )
    elif event_type in PATIENT_LEVEL_EVENT_TYPES:
        scope = "Patient-level: `session_id` may be null or omitted; chained and keyed per patient."
    else:
        scope = "Session-level: `session_id` is required; chained and keyed per session."
    lines = [f"### `{event_type}`", "", f"{event_class.__doc__}", "", scope, ""]
    properties: dict[str, Any] = payload.get("properties", {})
    if properties:
        lines += [f"Payload: {payload['description']}", ""]
        required = set(payload.get("required", ()))
        lines += ["| payload field | type | required | meaning and rules |", "|---|---|---|---|"]
        for name, field in properties.items():
            lines.append(
                f"| `{name}` | {_type_of(field, definitions=definitions)} "
                f"| {'yes' if name in required else 'no'} | {field.get('description', '')} |"
            )
    else:
        lines.append("Payload: the empty object `{}`.")
    example = json.dumps(EXAMPLES[event_type], indent=2, ensure_ascii=False)
    lines += ["", "```json", example, "```", ""]
    return "\n".join(lines)


def _resolve(schema: dict[str, Any], *, definitions: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if reference is None:
        return schema
    resolved: dict[str, Any] = definitions[reference.rsplit("/", 1)[-1]]
    return resolved


def _type_of(field: dict[str, Any], *, definitions: dict[str, Any]) -> str:
    variants = [v for v in field.get("anyOf", [field]) if v.get("type") != "null"]
    return " or ".join(_describe(variant, definitions=definitions) for variant in variants)


def _describe(schema: dict[str, Any], *, definitions: dict[str, Any]) -> str:
    schema = _resolve(schema, definitions=definitions)
    if "enum" in schema:
        values = [f"`{value}`" for value in schema["enum"]]
        return values[0] if len(values) == 1 else "one of " + ", ".join(values)
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type")
    if kind == "string":
        return _describe_string(schema)
    if kind in ("integer", "number"):
        return _describe_number(schema)
    if kind == "object":
        return f"object of field name to JSON value, ≥ {schema.get('minProperties', 0)} entry"
    return str(kind)


def _describe_string(schema: dict[str, Any]) -> str:
    formats = {"uuid": "UUID string", "date-time": "RFC 3339 timestamp with offset"}
    if "format" in schema:
        return formats.get(schema["format"], f"string ({schema['format']})")
    if "maxLength" in schema:
        # Its pattern only states "not blank, no control characters" (see the rules above).
        return f"string, {schema.get('minLength', 0)}-{schema['maxLength']} chars"
    return f"string matching `{schema['pattern']}`"


def _describe_number(schema: dict[str, Any]) -> str:
    bounds = []
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {schema['exclusiveMinimum']}")
    if "minimum" in schema:
        bounds.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        bounds.append(f"≤ {schema['maximum']}")
    return f"{schema['type']}" + (f" ({', '.join(bounds)})" if bounds else "")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.write_text(update_document(target.read_text(encoding="utf-8")), encoding="utf-8")
