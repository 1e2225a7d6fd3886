"""``data/fhir/bundle.json``: the exported entries as a FHIR R4 Bundle, written as they pass.

One ``AuditEvent`` per log entry, after the IHE Basic Audit Log Patterns (BALP) for a
patient-identifiable create or update: type DICOM "Patient Record", subtype the FHIR
restful interaction (``create``, ``update`` for a correction) and the kapaudit event type,
the actor as author (v3 ``AUT``), a witness as ``WIT``, the publishing system as DICOM
"Source Role ID", kapaudit as the observing application server, and two entities: the
patient (BALP's patient slice; none for a clinic-level entry, whose patient is `-`) and the
clinical record, whose details are the entry's place in the log (index, stream, sequence,
hashes). Every ``record.amended`` also gets a
``Provenance`` whose target is the amended record.

The bundle is a ``collection``: a set of resources handed over as a whole. It is not a
``searchset`` (no query produced it), a ``transaction`` (nothing is to be stored by a
server) nor a ``document`` (no Composition attests it; the manifest signature does).

Per entry the writer only assembles JSON text (a few microseconds): an export of a million
entries must not validate resources one by one. The tests validate the output with
``fhir.resources``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Final, TextIO

from events import CLINIC_LEVEL_PATIENT
from services.exporting.documents import DocumentCounts, ExportScope
from services.offline.bundle_format import FHIR_FILE, EntryLine

__all__ = [
    "EVENT_TYPE_SYSTEM",
    "PATIENT_SYSTEM",
    "PUBLISHER_SYSTEM",
    "STAFF_ROLE_SYSTEM",
    "STAFF_SYSTEM",
    "FhirBundleWriter",
]

# kapaudit's own identifier systems. URNs, because kapaudit owns no web address to name them
# by, and every value (a clinic's staff ids, pseudonymous patient ids) is the clinic's.
EVENT_TYPE_SYSTEM: Final = "urn:kapaudit:event-type"
STAFF_SYSTEM: Final = "urn:kapaudit:staff-id"
STAFF_ROLE_SYSTEM: Final = "urn:kapaudit:actor-role"
PATIENT_SYSTEM: Final = "urn:kapaudit:patient-id"
PUBLISHER_SYSTEM: Final = "urn:kapaudit:publisher"
_EXPORT_SYSTEM: Final = "urn:kapaudit:export-id"
_RFC3986: Final = "urn:ietf:rfc:3986"

_DCM: Final = "http://dicom.nema.org/resources/ontology/DCM"
_PATIENT_RECORD: Final = {"system": _DCM, "code": "110110", "display": "Patient Record"}
_INTERACTION: Final = "http://hl7.org/fhir/restful-interaction"
_CREATE: Final = {"system": _INTERACTION, "code": "create", "display": "create"}
_UPDATE: Final = {"system": _INTERACTION, "code": "update", "display": "update"}
_PARTICIPATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_AUTHOR: Final = {
    "coding": [{"system": _PARTICIPATION, "code": "AUT", "display": "author (originator)"}]
}
_WITNESS: Final = {"coding": [{"system": _PARTICIPATION, "code": "WIT", "display": "witness"}]}
_SOURCE_ROLE: Final = {"coding": [{"system": _DCM, "code": "110153", "display": "Source Role ID"}]}
_SOURCE: Final = {
    "observer": {"type": "Device", "display": "kapaudit"},
    "type": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/audit-source-type",
            "code": "4",
            "display": "Application Server",
        }
    ],
}
_ENTITY_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_PERSON: Final = {"system": _ENTITY_TYPE, "code": "1", "display": "Person"}
_SYSTEM_OBJECT: Final = {"system": _ENTITY_TYPE, "code": "2", "display": "System Object"}
_OBJECT_ROLE: Final = "http://terminology.hl7.org/CodeSystem/object-role"
_PATIENT_ROLE: Final = {"system": _OBJECT_ROLE, "code": "1", "display": "Patient"}
_RESOURCE_ROLE: Final = {"system": _OBJECT_ROLE, "code": "4", "display": "Domain Resource"}
_LIFECYCLE: Final = "http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle"
_ORIGINATION: Final = {"system": _LIFECYCLE, "code": "1", "display": "Origination / Creation"}
_AMENDMENT: Final = {"system": _LIFECYCLE, "code": "3", "display": "Amendment"}
_REVISE: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": "UPDATE",
            "display": "revise",
        }
    ]
}
_PROVENANCE_AUTHOR: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "author",
            "display": "Author",
        }
    ]
}
# Fixed forever: a Provenance's id is derived from the amendment's event id under it, so the
# same amendment gets the same Provenance id in every export.
_PROVENANCE_NAMESPACE: Final = uuid.UUID("3a0f6a1e-58c4-4b4e-9a59-2f1c7e0b9d42")

_PATIENT_RECORD_JSON: Final = json.dumps(_PATIENT_RECORD, separators=(",", ":"))
_CREATE_JSON: Final = json.dumps(_CREATE, separators=(",", ":"))
_UPDATE_JSON: Final = json.dumps(_UPDATE, separators=(",", ":"))
_AUTHOR_JSON: Final = json.dumps(_AUTHOR, separators=(",", ":"))
_WITNESS_JSON: Final = json.dumps(_WITNESS, separators=(",", ":"))
_SOURCE_ROLE_JSON: Final = json.dumps(_SOURCE_ROLE, separators=(",", ":"))
_SOURCE_JSON: Final = json.dumps(_SOURCE, separators=(",", ":"))
_PERSON_JSON: Final = json.dumps(_PERSON, separators=(",", ":"))
_SYSTEM_OBJECT_JSON: Final = json.dumps(_SYSTEM_OBJECT, separators=(",", ":"))
_PATIENT_ROLE_JSON: Final = json.dumps(_PATIENT_ROLE, separators=(",", ":"))
_RESOURCE_ROLE_JSON: Final = json.dumps(_RESOURCE_ROLE, separators=(",", ":"))
_ORIGINATION_JSON: Final = json.dumps(_ORIGINATION, separators=(",", ":"))

# Payload fields that name a second member of staff (a consent's or a waste's witness).
_WITNESS_FIELDS: Final = ("witness_id",)


class FhirBundleWriter:
    """Writes ``data/fhir/bundle.json`` under ``bag``: the opening now, one entry per
    ``add``, the closing in ``close``. Keeps two counters, never the entries."""

    def __init__(self, *, bag: Path, scope: ExportScope) -> None:
        path = bag / FHIR_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)
        self._audit_events = 0
        self._provenances = 0
        opening = {
            "resourceType": "Bundle",
            "identifier": {"system": _EXPORT_SYSTEM, "value": scope.export_id},
            "type": "collection",
            "timestamp": _instant_text(scope),
        }
        # Left open: the first entry opens the entry array, ``close`` ends what is open (FHIR
        # JSON has no empty arrays, so an export without entries has no ``entry``).
        self._file.write(_dumps(opening)[:-1])

    def add(self, line: EntryLine, event: Mapping[str, Any]) -> None:
        self._write(_audit_event_entry(line, event))
        self._audit_events += 1
        if line.event_type == "record.amended":
            self._write(_dumps(_provenance_entry(line, event)))
            self._provenances += 1

    def close(self) -> DocumentCounts:
        self._file.write("\n]}\n" if self._audit_events else "}\n")
        self._file.close()
        return DocumentCounts(
            counts={
                "fhir_audit_events": self._audit_events,
                "fhir_provenances": self._provenances,
            }
        )

    def _write(self, entry: str) -> None:
        # One entry a line keeps the file greppable and diffable; commas go before entries
        # so no entry needs to know whether another follows.
        first = self._audit_events == 0 and self._provenances == 0
        self._file.write((',"entry":[\n' if first else ",\n") + entry)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _instant_text(scope: ExportScope) -> str:
    return scope.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _staff(staff_id: object) -> dict[str, Any]:
    return {"identifier": {"system": STAFF_SYSTEM, "value": str(staff_id)}}


def _record(event_id: str) -> dict[str, Any]:
    """A reference to the AuditEvent of a log entry, which bears the event's id as its URN,
    with that URN as identifier too: it still names the record when the entry is not in
    this bundle (an amendment may sit in another stream than the entry it corrects)."""
    urn = f"urn:uuid:{event_id}"
    return {
        "reference": urn,
        "type": "AuditEvent",
        "identifier": {"system": _RFC3986, "value": urn},
    }


def _audit_event_entry(line: EntryLine, event: Mapping[str, Any]) -> str:
    """The entry as JSON text, assembled from pre-encoded constant parts and the entry's
    values, each encoded as a JSON string: a third of the time ``json.dumps`` takes over the
    same dict, and this runs once per exported entry."""
    actor = event.get("actor") or {}
    payload = event.get("payload") or {}
    amendment = line.event_type == "record.amended"
    agents = [
        f'{{"type":{_AUTHOR_JSON},"role":[{{"coding":[{{"system":"{STAFF_ROLE_SYSTEM}",'
        f'"code":{_text(actor.get("role"))}}}]}}],"who":{_staff_json(actor.get("id"))},'
        '"requestor":true}'
    ]
    for field in _WITNESS_FIELDS:
        witness = payload.get(field)
        if isinstance(witness, str):
            agents.append(
                f'{{"type":{_WITNESS_JSON},"who":{_staff_json(witness)},"requestor":false}}'
            )
    source = event.get("source")
    if isinstance(source, str):
        agents.append(
            f'{{"type":{_SOURCE_ROLE_JSON},"who":{{"identifier":{{"system":"{PUBLISHER_SYSTEM}",'
            f'"value":{_text(source)}}}}},"requestor":false}}'
        )
    details = (
        f'{{"type":"index","valueString":"{line.index:d}"}},'
        f'{{"type":"stream_id","valueString":{_text(line.stream_id)}}},'
        f'{{"type":"sequence","valueString":"{line.sequence:d}"}},'
        f'{{"type":"hash","valueString":{_text(line.hash)}}},'
        f'{{"type":"prev_hash","valueString":{_text(line.prev_hash)}}}'
    )
    session_id = event.get("session_id")
    if isinstance(session_id, str):
        details += f',{{"type":"session_id","valueString":{_text(session_id)}}}'
    urn = _text(f"urn:uuid:{line.event_id}")
    patient_id = event.get("patient_id")
    # A clinic-level entry (a profile change, a look at the access report) is about no
    # patient: `-` as a patient identifier would name a patient who does not exist.
    entities = (
        ""
        if patient_id == CLINIC_LEVEL_PATIENT
        else f'{{"what":{{"type":"Patient","identifier":{{"system":"{PATIENT_SYSTEM}",'
        f'"value":{_text(patient_id)}}}}},"type":{_PERSON_JSON},'
        f'"role":{_PATIENT_ROLE_JSON}}},'
    ) + (
        f'{{"what":{{"identifier":{{"system":"{_RFC3986}","value":{urn}}}}},'
        f'"type":{_SYSTEM_OBJECT_JSON},"role":{_RESOURCE_ROLE_JSON},'
        f'"lifecycle":{_ORIGINATION_JSON},"name":{_text(line.event_type)},"detail":[{details}]}}'
    )
    amended = payload.get("amends_event_id") if amendment else None
    if isinstance(amended, str):
        entities += "," + _dumps(
            {
                "what": _record(amended),
                "type": _SYSTEM_OBJECT,
                "role": _RESOURCE_ROLE,
                "lifecycle": _AMENDMENT,
            }
        )
    occurred = _text(line.occurred_at)
    return (
        f'{{"fullUrl":{urn},"resource":{{"resourceType":"AuditEvent","id":{_text(line.event_id)},'
        f'"type":{_PATIENT_RECORD_JSON},"subtype":[{_UPDATE_JSON if amendment else _CREATE_JSON},'
        f'{{"system":"{EVENT_TYPE_SYSTEM}","code":{_text(line.event_type)}}}],'
        f'"action":"{"U" if amendment else "C"}","period":{{"start":{occurred},"end":{occurred}}},'
        f'"recorded":{_text(line.recorded_at)},"outcome":"0","agent":[{",".join(agents)}],'
        f'"source":{{"site":{_text(event.get("clinic_id"))},{_SOURCE_JSON[1:]},'
        f'"entity":[{entities}]}}}}'
    )


def _text(value: object) -> str:
    """``value`` as a JSON string; anything not a string (absent from a malformed event) is
    written as its text, never as a bare JSON value that would break the entry's shape."""
    return encode_basestring(value if isinstance(value, str) else str(value))


def _staff_json(staff_id: object) -> str:
    return f'{{"identifier":{{"system":"{STAFF_SYSTEM}","value":{_text(staff_id)}}}}}'


def _provenance_entry(line: EntryLine, event: Mapping[str, Any]) -> dict[str, Any]:
    payload = event.get("payload") or {}
    actor = event.get("actor") or {}
    amended = str(payload.get("amends_event_id"))
    provenance_id = str(uuid.uuid5(_PROVENANCE_NAMESPACE, line.event_id))
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "target": [_record(amended)],
        "occurredDateTime": line.occurred_at,
        "recorded": line.recorded_at,
        "activity": _REVISE,
        "agent": [{"type": _PROVENANCE_AUTHOR, "who": _staff(actor.get("id"))}],
        # The record as first kept is what the corrected one revises (21 CFR 11.10(e):
        # it stays readable); the amendment's own entry is where the new values came from.
        "entity": [
            {"role": "revision", "what": _record(amended)},
            {"role": "source", "what": _record(line.event_id)},
        ],
    }
    reason = payload.get("reason")
    if isinstance(reason, str):
        resource["reason"] = [{"text": reason}]
    return {"fullUrl": f"urn:uuid:{provenance_id}", "resource": resource}
