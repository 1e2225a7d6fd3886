"""The catalogue of event types and the `SessionEvent` union over them."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, TypeAlias

from pydantic import Field, TypeAdapter

from events.access import AccessRecorded
from events.adverse import AdverseEventReported
from events.amendment import RecordAmended
from events.consent import ConsentGiven, ConsentWithdrawn
from events.discharge import PatientDischarged
from events.dosing import DoseAdministered, DoseWasted
from events.envelope import PatientLevelEvent
from events.integration import IntegrationNoteRecorded
from events.profiles import ProfileChanged
from events.rems import RemsMonitoringFormSubmitted, RemsPatientEnrolled
from events.session import SessionEnded, SessionScheduled, SessionStarted
from events.vitals import VitalsRecorded

__all__ = [
    "CLINIC_LEVEL_EVENT_TYPES",
    "EVENT_TYPES",
    "PATIENT_LEVEL_EVENT_TYPES",
    "SESSION_EVENT_ADAPTER",
    "SessionEvent",
]

SessionEvent: TypeAlias = Annotated[
    ConsentGiven
    | ConsentWithdrawn
    | RemsPatientEnrolled
    | SessionScheduled
    | SessionStarted
    | VitalsRecorded
    | DoseAdministered
    | DoseWasted
    | AdverseEventReported
    | PatientDischarged
    | SessionEnded
    | IntegrationNoteRecorded
    | RemsMonitoringFormSubmitted
    | RecordAmended
    | AccessRecorded
    | ProfileChanged,
    Field(discriminator="event_type"),
]
"""Any event of contract v1, discriminated by `event_type`."""

_EVENT_CLASSES: Final = (
    ConsentGiven,
    ConsentWithdrawn,
    RemsPatientEnrolled,
    SessionScheduled,
    SessionStarted,
    VitalsRecorded,
    DoseAdministered,
    DoseWasted,
    AdverseEventReported,
    PatientDischarged,
    SessionEnded,
    IntegrationNoteRecorded,
    RemsMonitoringFormSubmitted,
    RecordAmended,
    AccessRecorded,
    ProfileChanged,
)

EVENT_TYPES: Final[Mapping[str, type[SessionEvent]]] = MappingProxyType(
    {cls.declared_event_type(): cls for cls in _EVENT_CLASSES}
)
"""Event type string -> event class, in the catalogue's order."""

PATIENT_LEVEL_EVENT_TYPES: Final[frozenset[str]] = frozenset(
    event_type for event_type, cls in EVENT_TYPES.items() if issubclass(cls, PatientLevelEvent)
)
"""Event types about the patient rather than a session: chained and keyed per patient."""

CLINIC_LEVEL_EVENT_TYPES: Final[frozenset[str]] = frozenset({"profile.changed"})
"""Event types about the clinic itself: no patient, no session; chained per clinic."""

SESSION_EVENT_ADAPTER: Final[TypeAdapter[SessionEvent]] = TypeAdapter(SessionEvent)
"""Validator and schema generator for the `SessionEvent` union."""
