"""The committed JSON Schemas in events/schemas/ must match the models."""

import json
from pathlib import Path

import pytest

from events import EVENT_TYPES
from events.schema_export import (
    SCHEMA_DIRECTORY,
    UNION_SCHEMA_FILENAME,
    render_schemas,
    schema_id,
    write_schemas,
)

_REGENERATE = "run `kapaudit schemas export` (or `python -m events.schema_export`)"


def test_the_committed_schema_files_are_exactly_the_rendered_ones() -> None:
    rendered = render_schemas()
    committed = {path.name for path in SCHEMA_DIRECTORY.glob("*.json")}

    assert committed == set(rendered), (
        f"schema files differ: missing {sorted(set(rendered) - committed)}, "
        f"stale {sorted(committed - set(rendered))}; {_REGENERATE} and delete stale files"
    )


@pytest.mark.parametrize("filename", sorted(render_schemas()))
def test_each_committed_schema_is_fresh(filename: str) -> None:
    committed = SCHEMA_DIRECTORY / filename

    assert committed.is_file(), f"{filename} is missing; {_REGENERATE}"
    assert committed.read_text(encoding="utf-8") == render_schemas()[filename], (
        f"{filename} is out of date with the models; {_REGENERATE}"
    )


def test_there_is_one_schema_per_event_type_and_one_for_the_union() -> None:
    assert set(render_schemas()) == {f"{t}.json" for t in EVENT_TYPES} | {UNION_SCHEMA_FILENAME}


@pytest.mark.parametrize(("filename", "text"), sorted(render_schemas().items()))
def test_each_schema_is_pretty_sorted_identified_and_newline_terminated(
    filename: str, text: str
) -> None:
    schema = json.loads(text)

    assert text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert schema["$id"] == schema_id(filename)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]


def test_an_event_type_schema_pins_its_type_and_version_and_forbids_extras() -> None:
    schema = json.loads(render_schemas()["dose.administered.json"])

    assert schema["properties"]["event_type"]["const"] == "dose.administered"
    assert schema["properties"]["schema_version"]["const"] == 1
    assert schema["additionalProperties"] is False
    assert "hash" not in schema["properties"]


def test_the_union_schema_discriminates_on_event_type() -> None:
    schema = json.loads(render_schemas()[UNION_SCHEMA_FILENAME])

    assert schema["discriminator"]["propertyName"] == "event_type"
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_write_schemas_writes_the_rendered_files(tmp_path: Path) -> None:
    written = write_schemas(directory=tmp_path / "out")

    assert sorted(path.name for path in written) == sorted(render_schemas())
    assert all(path.read_text(encoding="utf-8") == render_schemas()[path.name] for path in written)
