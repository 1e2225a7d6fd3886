"""data/fhir/bundle.json: a FHIR R4 Bundle of the exported entries, validated as R4B."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.provenance import Provenance

from services.demo import demo_day_events
from services.exporting.fhir_bundle import FhirBundleWriter
from services.offline.bundle_format import FHIR_FILE
from tests.factories import document
from tests.unit.exporting.exported_log import ExportedEntry, demo_scope, exported_log


@pytest.fixture(scope="module")
def demo_entries() -> list[ExportedEntry]:
    return exported_log(demo_day_events())


def _write(bag: Path, entries: list[ExportedEntry]) -> dict[str, Any]:
    writer = FhirBundleWriter(bag=bag, scope=demo_scope())
    for entry in entries:
        writer.add(entry.line, entry.event)
    counts = writer.close()
    bundle = json.loads((bag / FHIR_FILE).read_text(encoding="utf-8"))
    bundle["_counts"] = dict(counts.counts)
    return bundle


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_of_a_clinic_day_validates_as_fhir_with_every_resource(
    tmp_path: Path, demo_entries: list[ExportedEntry]
) -> None:
    bundle = _write(tmp_path, demo_entries)
    counts = bundle.pop("_counts")

    parsed = Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        model = AuditEvent if entry["resource"]["resourceType"] == "AuditEvent" else Provenance
        model.model_validate(entry["resource"])

    assert parsed.type == "collection"
    assert len(parsed.entry) == counts["fhir_audit_events"] + counts["fhir_provenances"]
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls), "fullUrl must be unique within a bundle"


def test_the_bundle_has_one_audit_event_per_entry_in_log_order(
    tmp_path: Path, demo_entries: list[ExportedEntry]
) -> None:
    bundle = _write(tmp_path, demo_entries)

    audit_events = _resources(bundle, "AuditEvent")
    assert [a["id"] for a in audit_events] == [e.line.event_id for e in demo_entries]
    assert bundle["_counts"]["fhir_audit_events"] == len(demo_entries)


def test_every_amendment_has_a_provenance_targeting_the_amended_entry(
    tmp_path: Path, demo_entries: list[ExportedEntry]
) -> None:
    bundle = _write(tmp_path, demo_entries)

    amendments = [e.event for e in demo_entries if e.line.event_type == "record.amended"]
    provenances = _resources(bundle, "Provenance")
    assert amendments, "the demo day holds a corrected heart rate"
    assert len(provenances) == len(amendments) == bundle["_counts"]["fhir_provenances"]
    for amendment, provenance in zip(amendments, provenances, strict=True):
        amended = amendment["payload"]["amends_event_id"]
        assert provenance["target"][0]["reference"] == f"urn:uuid:{amended}"
        assert provenance["recorded"].endswith("Z")
        assert provenance["reason"][0]["text"] == amendment["payload"]["reason"]
        assert provenance["agent"][0]["who"]["identifier"]["value"] == amendment["actor"]["id"]
    by_id = {a["id"]: a for a in _resources(bundle, "AuditEvent")}
    amended_ids = {a["payload"]["amends_event_id"] for a in amendments}
    assert amended_ids <= set(by_id), "the amended entries are in the same bundle"


def test_an_audit_event_carries_the_entrys_place_in_the_log_and_its_people(
    tmp_path: Path, demo_entries: list[ExportedEntry]
) -> None:
    bundle = _write(tmp_path, demo_entries)
    waste = next(e for e in demo_entries if e.line.event_type == "dose.wasted")

    audit = next(a for a in _resources(bundle, "AuditEvent") if a["id"] == waste.line.event_id)

    record = audit["entity"][1]
    details = {d["type"]: d["valueString"] for d in record["detail"]}
    assert details == {
        "index": str(waste.line.index),
        "stream_id": waste.line.stream_id,
        "sequence": str(waste.line.sequence),
        "hash": waste.line.hash,
        "prev_hash": waste.line.prev_hash,
        "session_id": waste.event["session_id"],
    }
    assert audit["entity"][0]["what"]["identifier"]["value"] == waste.event["patient_id"]
    assert audit["recorded"] == waste.line.recorded_at
    assert audit["period"]["start"] == waste.line.occurred_at
    assert (audit["action"], audit["outcome"]) == ("C", "0")
    people = {
        agent["type"]["coding"][0]["code"]: agent["who"]["identifier"]["value"]
        for agent in audit["agent"]
    }
    assert people["AUT"] == waste.event["actor"]["id"]
    assert people["WIT"] == waste.event["payload"]["witness_id"]
    assert people["110153"] == waste.event["source"]


def test_text_that_needs_escaping_is_written_as_valid_json(tmp_path: Path) -> None:
    # Staff ids and reasons are free text from clinic systems.
    dose = document("dose.wasted", payload={"witness_id": 'rn "quoted" \\ back-slash é'})
    amendment = document(
        "record.amended",
        session_id=dose["session_id"],
        payload={"amends_event_id": dose["event_id"], "reason": 'Said "two"\nnot three.'},
    )
    bundle = _write(tmp_path, exported_log([dose, amendment]))

    Bundle.model_validate({k: v for k, v in bundle.items() if k != "_counts"})
    witness = _resources(bundle, "AuditEvent")[0]["agent"][1]["who"]["identifier"]["value"]
    assert witness == 'rn "quoted" \\ back-slash é'
    assert _resources(bundle, "Provenance")[0]["reason"][0]["text"] == 'Said "two"\nnot three.'


def test_a_clinic_level_entry_names_no_patient_and_still_validates(tmp_path: Path) -> None:
    # Bundle format 1 leaves clinic-level streams out; should one be mapped, `-` must not
    # become a patient identifier.
    look = document("access.recorded", patient_id="-", session_id=None)
    read = document("access.recorded")
    bundle = _write(tmp_path, exported_log([look, read]))

    Bundle.model_validate({k: v for k, v in bundle.items() if k != "_counts"})
    by_id = {a["id"]: a for a in _resources(bundle, "AuditEvent")}
    patients = {
        event_id: [e["what"].get("type") for e in audit["entity"]]
        for event_id, audit in by_id.items()
    }
    assert patients == {look["event_id"]: [None], read["event_id"]: ["Patient", None]}


def test_an_export_without_entries_is_a_valid_bundle_without_entries(tmp_path: Path) -> None:
    bundle = _write(tmp_path, [])

    assert "entry" not in bundle
    assert Bundle.model_validate({k: v for k, v in bundle.items() if k != "_counts"}).entry is None


def test_the_writer_keeps_no_entries_so_memory_stays_flat(
    tmp_path: Path, demo_entries: list[ExportedEntry]
) -> None:
    writer = FhirBundleWriter(bag=tmp_path, scope=demo_scope())
    for entry in demo_entries:
        writer.add(entry.line, entry.event)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(50):  # 20,000 more entries, ~40 MB of JSON
            for entry in demo_entries:
                writer.add(entry.line, entry.event)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    writer.close()

    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 256 * 1024, f"the writer grew by {grown} bytes over 20,000 entries"
