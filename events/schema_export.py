"""JSON Schemas of the contract, for publishers who validate before sending.

The files in `events/schemas/` are generated; regenerate them with
`kapaudit schemas export` (or `python -m events.schema_export`) after changing a model.
Rules across fields are in the schemas where JSON Schema can state them (an IV dose needs
infusion_minutes: `events.cross_field`), else only in the field descriptions (systolic
above diastolic); `parse_event` enforces all of them.
"""

import json
from pathlib import Path
from typing import Any, Final

from events.catalogue import EVENT_TYPES, SESSION_EVENT_ADAPTER
from events.routing import TOPIC

__all__ = [
    "SCHEMA_DIRECTORY",
    "UNION_SCHEMA_FILENAME",
    "render_schemas",
    "schema_id",
    "write_schemas",
]

SCHEMA_DIRECTORY: Final = Path(__file__).parent / "schemas"
"""Where the generated schemas are committed."""

UNION_SCHEMA_FILENAME: Final = "session-event.json"
"""The schema accepting any event type."""

_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def schema_id(filename: str) -> str:
    """The `$id` of a schema file: a URN naming the topic contract and the file."""
    return f"urn:kapaudit:schema:{TOPIC}:{filename}"


def render_schemas() -> dict[str, str]:
    """Filename -> JSON text: `<event_type>.json` per event type and the union schema."""
    documents: dict[str, dict[str, Any]] = {
        f"{event_type}.json": event_class.model_json_schema()
        for event_type, event_class in EVENT_TYPES.items()
    }
    union = SESSION_EVENT_ADAPTER.json_schema()
    union["title"] = "SessionEvent"
    union["description"] = f"Any event published to {TOPIC}, discriminated by event_type."
    documents[UNION_SCHEMA_FILENAME] = union
    return {
        filename: json.dumps(
            {"$schema": _DIALECT, "$id": schema_id(filename), **schema},
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n"
        for filename, schema in documents.items()
    }


def write_schemas(*, directory: Path) -> list[Path]:
    """Write every rendered schema into `directory` (created if needed); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for filename, text in sorted(render_schemas().items()):
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas(directory=SCHEMA_DIRECTORY):
        print(path)
