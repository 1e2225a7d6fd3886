"""``read_stored_event`` reads the log's canonical JSON in one pass; it must read exactly
what the full, strict path reads, and still migrate and reject as that path does."""

import json
from typing import Any

import pytest

from events import (
    DoseAdministered,
    EventRejected,
    RejectionReason,
    canonical_json,
    parse_event,
    read_stored_event,
    upcasting,
)
from events.examples import EXAMPLES
from events.parsing import _validated
from services.demo.clinic_day import demo_day_events


def _stored(document: dict[str, Any]) -> str:
    return canonical_json(parse_event(json.dumps(document).encode())).decode()


@pytest.mark.parametrize(
    "document",
    [*EXAMPLES.values(), *demo_day_events()],
    ids=lambda d: f"{d['event_type']}-{d['event_id'][:8]}",
)
def test_a_stored_event_reads_back_as_the_full_path_reads_it(document: dict[str, Any]) -> None:
    stored = _stored(document)

    event = read_stored_event(stored)

    assert event == _validated(stored.encode())
    assert type(event) is type(_validated(stored.encode()))
    assert canonical_json(event).decode() == stored


def test_a_stored_event_of_an_older_version_is_still_migrated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def v0_to_v1(document: dict[str, Any]) -> dict[str, Any]:
        payload = dict(document["payload"])
        payload["dose_mg"] = payload.pop("amount_mg")
        return {**document, "payload": payload}

    document = json.loads(_stored(EXAMPLES["dose.administered"]))
    document["schema_version"] = 0
    document["payload"]["amount_mg"] = document["payload"].pop("dose_mg")
    monkeypatch.setattr(upcasting, "UPCASTERS", {("dose.administered", 0): v0_to_v1})

    event = read_stored_event(json.dumps(document, sort_keys=True))

    assert isinstance(event, DoseAdministered)
    assert event.schema_version == 1


def test_a_stored_event_no_longer_valid_is_rejected_with_its_field_errors() -> None:
    document = json.loads(_stored(EXAMPLES["vitals.recorded"]))
    document["payload"]["heart_rate_bpm"] = "fast"

    with pytest.raises(EventRejected) as rejected:
        read_stored_event(json.dumps(document))

    assert rejected.value.reason is RejectionReason.SCHEMA_VIOLATION
    assert [error.path for error in rejected.value.errors] == ["payload.heart_rate_bpm"]
