"""The kapaudit event contract v1: models, parsing, canonical form, routing and schemas.

`parse_event` is the single entry point for untrusted bytes; everything it returns is a
frozen, fully validated `SessionEvent`.
"""

from events.adverse import AdverseEventReported, AdverseEventReportedPayload
from events.amendment import RecordAmended, RecordAmendedPayload
from events.canonical import canonical_bytes, canonical_json
from events.catalogue import EVENT_TYPES, PATIENT_LEVEL_EVENT_TYPES, SessionEvent
from events.consent import (
    ConsentGiven,
    ConsentGivenPayload,
    ConsentWithdrawn,
    ConsentWithdrawnPayload,
)
from events.discharge import PatientDischarged, PatientDischargedPayload
from events.dosing import (
    DoseAdministered,
    DoseAdministeredPayload,
    DoseWasted,
    DoseWastedPayload,
)
from events.enums import (
    ActorRole,
    AdverseEventCategory,
    Medication,
    Protocol,
    RemsProgram,
    Route,
    Sedation,
    Severity,
)
from events.envelope import (
    SERVER_FIELDS,
    Actor,
    EventEnvelope,
    PatientLevelEvent,
    SessionLevelEvent,
)
from events.errors import EventRejected, FieldError, RejectionReason
from events.integration import IntegrationNoteRecorded, IntegrationNoteRecordedPayload
from events.parsing import MAX_EVENT_BYTES, parse_event
from events.rems import (
    RemsMonitoringFormSubmitted,
    RemsMonitoringFormSubmittedPayload,
    RemsPatientEnrolled,
    RemsPatientEnrolledPayload,
)
from events.routing import DEFAULT_PARTITIONS, DLQ_TOPIC, TOPIC, partition_key, stream_id
from events.session import (
    EmptyPayload,
    SessionEnded,
    SessionScheduled,
    SessionScheduledPayload,
    SessionStarted,
)
from events.upcasting import CURRENT_SCHEMA_VERSION, UPCASTERS, upcast
from events.vitals import VitalsRecorded, VitalsRecordedPayload

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_PARTITIONS",
    "DLQ_TOPIC",
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "PATIENT_LEVEL_EVENT_TYPES",
    "SERVER_FIELDS",
    "TOPIC",
    "UPCASTERS",
    "Actor",
    "ActorRole",
    "AdverseEventCategory",
    "AdverseEventReported",
    "AdverseEventReportedPayload",
    "ConsentGiven",
    "ConsentGivenPayload",
    "ConsentWithdrawn",
    "ConsentWithdrawnPayload",
    "DoseAdministered",
    "DoseAdministeredPayload",
    "DoseWasted",
    "DoseWastedPayload",
    "EmptyPayload",
    "EventEnvelope",
    "EventRejected",
    "FieldError",
    "IntegrationNoteRecorded",
    "IntegrationNoteRecordedPayload",
    "Medication",
    "PatientDischarged",
    "PatientDischargedPayload",
    "PatientLevelEvent",
    "Protocol",
    "RecordAmended",
    "RecordAmendedPayload",
    "RejectionReason",
    "RemsMonitoringFormSubmitted",
    "RemsMonitoringFormSubmittedPayload",
    "RemsPatientEnrolled",
    "RemsPatientEnrolledPayload",
    "RemsProgram",
    "Route",
    "Sedation",
    "SessionEnded",
    "SessionEvent",
    "SessionLevelEvent",
    "SessionScheduled",
    "SessionScheduledPayload",
    "SessionStarted",
    "Severity",
    "VitalsRecorded",
    "VitalsRecordedPayload",
    "canonical_bytes",
    "canonical_json",
    "parse_event",
    "partition_key",
    "stream_id",
    "upcast",
]
