"""Corrections: a new record that references the one it corrects, which stays unchanged."""

from typing import Any, Literal, Self
from uuid import UUID

from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)

from events.correctable import corrected_value, correction_problem, corrections_schema
from events.envelope import EventEnvelope
from events.primitives import STORED_KEY, ContractModel, FieldName, Identifier, Text
from events.rules import rule_violation

__all__ = ["RecordAmended", "RecordAmendedPayload"]


class RecordAmendedPayload(ContractModel):
    """Which event is corrected, why, and the corrected payload values; amends_event_id must
    not be the amending event's own event_id."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _state_corrections(schema))

    amends_event_id: UUID = Field(description="The event_id of the event being corrected.")
    """The event_id of the event being corrected."""
    reason: Text = Field(description="Why the record is corrected (at most 1000 characters).")
    """Why the record is corrected (at most 1000 characters)."""
    corrected: dict[FieldName, JsonValue] = Field(
        min_length=1,
        description="Payload field names of the amended event mapped to their corrected values; "
        "each value must be valid for that field as the event types that have it define it "
        "(a dose_mg within its range, a reason of at most 1000 characters).",
    )
    """Payload field names of the amended event mapped to their corrected values; each value
    must be valid for that field as the event types that have it define it (a dose_mg within
    its range, a reason of at most 1000 characters)."""

    @field_validator("corrected", mode="after")
    @classmethod
    def _values_fit_their_fields(
        cls, corrected: dict[str, JsonValue], info: ValidationInfo
    ) -> dict[str, JsonValue]:
        # Unbounded JSON here once let a 256 KiB event grow to 973 KB in canonical form.
        for name, value in corrected.items():
            problem = correction_problem(name, value, context=info.context)
            if problem is not None:
                raise rule_violation(message=problem, fields=(name,))
        if info.context and info.context.get(STORED_KEY):
            return corrected  # exactly the bytes the log holds and hashed
        return {name: corrected_value(name, value) for name, value in corrected.items()}


def _state_corrections(schema: dict[str, Any]) -> None:
    # The field names and values a correction may hold, which `_values_fit_their_fields`
    # checks; called when the schema is rendered, once every event type is defined.
    schema["properties"]["corrected"].update(corrections_schema())


class RecordAmended(EventEnvelope):
    """An earlier event was corrected (21 CFR 11.10(e): changes never obscure earlier values).

    It carries the session of the event it corrects, or null when it corrects a
    patient-level event (a consent, a REMS enrollment); it is chained accordingly.
    """

    session_id: Identifier | None = Field(
        default=None,
        description="The session of the amended event; null when that event is patient-level.",
    )
    """The session of the amended event; null when that event is patient-level."""

    event_type: Literal["record.amended"] = Field(description="Always `record.amended`.")
    """Always `record.amended`."""
    payload: RecordAmendedPayload = Field(description="The correction.")
    """The correction."""

    @model_validator(mode="after")
    def _does_not_amend_itself(self) -> Self:
        if self.payload.amends_event_id == self.event_id:
            raise rule_violation(
                message="An event cannot amend itself", fields=("payload.amends_event_id",)
            )
        return self
