"""The kapaudit event contract v1: models, parsing, canonical form, routing and schemas.

`parse_event` is the single entry point for untrusted bytes; everything it returns is a
frozen, fully validated `SessionEvent`. The tooling modules `events.schema_export` and
`events.reference_doc` are not re-exported: they run as `python -m` scripts.
"""

from events.access import (
    AccessChannel,
    AccessOutcome,
    AccessRecorded,
    AccessRecordedPayload,
    AccessRole,
    upcast_access_recorded_v1,
    upcast_access_recorded_v2,
)
from events.adverse import AdverseEventReported, AdverseEventReportedPayload
from events.amendment import RecordAmended, RecordAmendedPayload
from events.canonical import canonical_bytes, canonical_json
from events.catalogue import (
    CLINIC_LEVEL_EVENT_TYPES,
    EVENT_TYPES,
    PATIENT_LEVEL_EVENT_TYPES,
    SESSION_EVENT_ADAPTER,
    SessionEvent,
)
from events.consent import (
    ConsentGiven,
    ConsentGivenPayload,
    ConsentWithdrawn,
    ConsentWithdrawnPayload,
)
from events.correctable import (
    correctable_fields,
    corrected_value,
    correction_problem,
    corrections_schema,
)
from events.cross_field import any_given, given_together, required_when
from events.discharge import PatientDischarged, PatientDischargedPayload
from events.dosing import (
    MAX_DOSE_MG,
    MAX_INFUSION_MINUTES,
    MAX_WASTE_MG,
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
from events.errors import ROOT_PATH, EventRejected, FieldError, RejectionReason
from events.examples import EXAMPLES
from events.integration import IntegrationNoteRecorded, IntegrationNoteRecordedPayload
from events.parsing import (
    MAX_EVENT_BYTES,
    MAX_NESTING_DEPTH,
    parse_event,
    parse_event_with_canonical,
    read_stored_event,
)
from events.primitives import (
    READ_BACK,
    STORED_KEY,
    WHOLE,
    ClinicId,
    ContractModel,
    FieldName,
    Identifier,
    Instant,
    Label,
    Sha256Hex,
    Text,
)
from events.profiles import (
    CLINIC_LEVEL_PATIENT,
    ProfileChanged,
    ProfileChangedPayload,
    ProfileSettings,
)
from events.rems import (
    RemsMonitoringFormSubmitted,
    RemsMonitoringFormSubmittedPayload,
    RemsPatientEnrolled,
    RemsPatientEnrolledPayload,
)
from events.routing import (
    ACCESS_TOPIC,
    DEFAULT_PARTITIONS,
    DLQ_TOPIC,
    TOPIC,
    check_topic,
    partition_key,
    stream_id,
    topic_for,
)
from events.rules import RULE_FIELDS_CONTEXT_KEY, rule_violation
from events.session import (
    EmptyPayload,
    SessionEnded,
    SessionScheduled,
    SessionScheduledPayload,
    SessionStarted,
)
from events.strict_json import json_kind, load_strict_json
from events.upcasting import (
    CURRENT_SCHEMA_VERSION,
    UPCASTERS,
    Upcaster,
    supported_versions,
    upcast,
)
from events.vitals import MEASUREMENT_FIELDS, VitalsRecorded, VitalsRecordedPayload

__all__ = [
    "ACCESS_TOPIC",
    "CLINIC_LEVEL_EVENT_TYPES",
    "CLINIC_LEVEL_PATIENT",
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_PARTITIONS",
    "DLQ_TOPIC",
    "EVENT_TYPES",
    "EXAMPLES",
    "MAX_DOSE_MG",
    "MAX_EVENT_BYTES",
    "MAX_INFUSION_MINUTES",
    "MAX_NESTING_DEPTH",
    "MAX_WASTE_MG",
    "MEASUREMENT_FIELDS",
    "PATIENT_LEVEL_EVENT_TYPES",
    "READ_BACK",
    "ROOT_PATH",
    "RULE_FIELDS_CONTEXT_KEY",
    "SERVER_FIELDS",
    "SESSION_EVENT_ADAPTER",
    "STORED_KEY",
    "TOPIC",
    "UPCASTERS",
    "WHOLE",
    "AccessChannel",
    "AccessOutcome",
    "AccessRecorded",
    "AccessRecordedPayload",
    "AccessRole",
    "Actor",
    "ActorRole",
    "AdverseEventCategory",
    "AdverseEventReported",
    "AdverseEventReportedPayload",
    "ClinicId",
    "ConsentGiven",
    "ConsentGivenPayload",
    "ConsentWithdrawn",
    "ConsentWithdrawnPayload",
    "ContractModel",
    "DoseAdministered",
    "DoseAdministeredPayload",
    "DoseWasted",
    "DoseWastedPayload",
    "EmptyPayload",
    "EventEnvelope",
    "EventRejected",
    "FieldError",
    "FieldName",
    "Identifier",
    "Instant",
    "IntegrationNoteRecorded",
    "IntegrationNoteRecordedPayload",
    "Label",
    "Medication",
    "PatientDischarged",
    "PatientDischargedPayload",
    "PatientLevelEvent",
    "ProfileChanged",
    "ProfileChangedPayload",
    "ProfileSettings",
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
    "Sha256Hex",
    "Text",
    "Upcaster",
    "VitalsRecorded",
    "VitalsRecordedPayload",
    "any_given",
    "canonical_bytes",
    "canonical_json",
    "check_topic",
    "correctable_fields",
    "corrected_value",
    "correction_problem",
    "corrections_schema",
    "given_together",
    "json_kind",
    "load_strict_json",
    "parse_event",
    "parse_event_with_canonical",
    "partition_key",
    "read_stored_event",
    "required_when",
    "rule_violation",
    "stream_id",
    "supported_versions",
    "topic_for",
    "upcast",
    "upcast_access_recorded_v1",
    "upcast_access_recorded_v2",
]
