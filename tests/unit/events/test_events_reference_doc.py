"""docs/EVENTS.md: its generated catalogue is fresh and every example in it is valid."""

import json
import re
from pathlib import Path

import pytest

from events import EVENT_TYPES, EventRejected, parse_event
from events.reference_doc import BEGIN_MARKER, END_MARKER, render_catalogue, update_document

_DOCUMENT = Path(__file__).parents[3] / "docs" / "EVENTS.md"
_JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)


def _text() -> str:
    return _DOCUMENT.read_text(encoding="utf-8")


def test_the_generated_catalogue_in_events_md_is_fresh() -> None:
    assert update_document(_text()) == _text(), (
        "docs/EVENTS.md is out of date; run `python -m events.reference_doc docs/EVENTS.md`"
    )


def test_every_event_type_has_a_section_in_events_md() -> None:
    headings = set(re.findall(r"^### `([a-z_.]+)`$", _text(), re.MULTILINE))

    assert headings == set(EVENT_TYPES)


@pytest.mark.parametrize("block", _JSON_BLOCK.findall(_DOCUMENT.read_text(encoding="utf-8")))
def test_every_json_block_in_events_md_is_a_valid_event(block: str) -> None:
    event = parse_event(block.encode("utf-8"))

    assert event.event_type in EVENT_TYPES


def test_events_md_shows_one_example_per_event_type() -> None:
    blocks = _JSON_BLOCK.findall(_text())

    assert sorted(json.loads(block)["event_type"] for block in blocks) == sorted(EVENT_TYPES)


def test_the_publishing_example_line_is_a_valid_event_under_its_key() -> None:
    line = next(line for line in _text().splitlines() if line.startswith("sess-0042\t"))
    key, value = line.split("\t", 1)

    event = parse_event(value.encode("utf-8"))

    assert event.session_id == key


def test_updating_a_document_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="BEGIN GENERATED"):
        update_document("# no markers here\n")


def test_updating_replaces_only_the_region_between_the_markers() -> None:
    document = f"intro\n{BEGIN_MARKER}\nold\n{END_MARKER}\noutro\n"

    updated = update_document(document)

    assert updated == f"intro\n{BEGIN_MARKER}\n\n{render_catalogue()}\n{END_MARKER}\noutro\n"


def test_the_documented_rejection_example_is_what_parse_event_says() -> None:
    document = json.loads(_JSON_BLOCK.findall(_text())[[*EVENT_TYPES].index("dose.administered")])
    del document["payload"]["infusion_minutes"], document["payload"]["patient_weight_kg"]

    with pytest.raises(EventRejected) as caught:
        parse_event(json.dumps(document).encode("utf-8"))

    assert f"\n{caught.value}\n" in _text()
