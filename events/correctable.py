"""The payload fields a `record.amended` may correct, each with the validator of its type.

A correction is validated field by field when it is published, as the field it corrects:
a `dose_mg` must be a dose, a `reason` a text of at most 1000 characters. So a correction
can hold nothing that the corrected event itself could not, and its size is bounded by the
contract's own limits on those fields.
"""

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Final

from pydantic import TypeAdapter, ValidationError

from events.adverse import AdverseEventReported
from events.consent import ConsentGiven, ConsentWithdrawn
from events.discharge import PatientDischarged
from events.dosing import DoseAdministered, DoseWasted
from events.envelope import EventEnvelope
from events.integration import IntegrationNoteRecorded
from events.rems import RemsMonitoringFormSubmitted, RemsPatientEnrolled
from events.session import SessionEnded, SessionScheduled, SessionStarted
from events.vitals import VitalsRecorded

__all__ = ["CORRECTABLE_FIELDS", "correction_problem"]

_CORRECTABLE_EVENTS: Final[tuple[type[EventEnvelope], ...]] = (
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
)
"""Every clinical event type: a correction of a correction, or of a read, is not one."""


def _field_validators() -> dict[str, list[TypeAdapter[Any]]]:
    validators: dict[str, list[TypeAdapter[Any]]] = {}
    for event_class in _CORRECTABLE_EVENTS:
        payload_class = event_class.model_fields["payload"].annotation
        assert isinstance(payload_class, type)
        for name, info in payload_class.model_fields.items():
            annotated: Any = Annotated[info.annotation, info]
            validators.setdefault(name, []).append(TypeAdapter(annotated))
    return validators


CORRECTABLE_FIELDS: Final[Mapping[str, tuple[TypeAdapter[Any], ...]]] = MappingProxyType(
    {name: tuple(adapters) for name, adapters in sorted(_field_validators().items())}
)
"""Payload field name -> the validators of that field in the event types that have it."""


def correction_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the corrected value of payload field ``name``, or None.

    A name shared by several event types (``witness_id``, ``medication``) is accepted when
    the value is valid for any of them; the projections check it against the corrected
    event's own type when they apply it.
    """
    adapters = CORRECTABLE_FIELDS.get(name)
    if adapters is None:
        return "Not a payload field of any correctable event type"
    encoded = json.dumps(value, allow_nan=False)
    problem = ""
    for adapter in adapters:
        try:
            adapter.validate_json(encoded, strict=True)
        except ValidationError as invalid:
            problem = problem or invalid.errors(include_url=False)[0]["msg"]
        else:
            return None
    return problem
