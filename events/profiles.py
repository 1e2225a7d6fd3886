"""A clinic's compliance thresholds, changed on the record.

A clinic's profile of a protocol (which rules run, every threshold they use) starts as
kapaudit's shipped defaults; each `profile.changed` replaces some settings from its
`occurred_at` on. Changes live in the log like clinical facts, so an earlier verdict can
be recomputed with the thresholds that were in force then, and who changed a limit, and
why, is on record (21 CFR 11.10(e): changes must not obscure earlier values).

The settings' types and ranges are the contract's; whether they make a coherent profile
(known rule ids, a window that ends after it starts) is kapaudit's rule book, checked when
the change is published through kapaudit and again when it is folded.
"""

from typing import Annotated, Any, Final, Literal, Self

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from events.cross_field import any_given
from events.enums import Protocol, Severity
from events.envelope import EventEnvelope
from events.primitives import WHOLE, ContractModel, Identifier, Text
from events.rules import rule_violation

__all__ = [
    "CLINIC_LEVEL_PATIENT",
    "ProfileChanged",
    "ProfileChangedPayload",
    "ProfileSettings",
]

CLINIC_LEVEL_PATIENT: Final = "-"
"""The `patient_id` every clinic-level event carries: it is about no patient, and the
log's patient column is never empty."""

_Minutes = Annotated[int, Field(gt=0, le=10_080), WHOLE]
_Days = Annotated[int, Field(gt=0, le=3_650), WHOLE]
_Hours = Annotated[int, Field(gt=0, le=87_600), WHOLE]
_MmHg = Annotated[int, Field(gt=0, le=300), WHOLE]


class ProfileSettings(ContractModel):
    """The settings changed; an omitted (or null) setting keeps the value in force."""

    # Filled in below, once the fields are known: at least one setting is given.
    model_config = ConfigDict(json_schema_extra=lambda schema: schema.update(_SOME_SETTING))

    rules: Annotated[tuple[Identifier, ...], Field(min_length=1)] | None = Field(
        default=None,
        description="Enabled rule ids (the whole list; see docs/COMPLIANCE.md).",
    )
    """Enabled rule ids (the whole list; see docs/COMPLIANCE.md)."""
    baseline_window_minutes: _Minutes | None = Field(
        default=None,
        description="A baseline reading counts if taken at most this long before the first dose.",
    )
    """A baseline reading counts if taken at most this long before the first dose."""
    baseline_requires_spo2: StrictBool | None = Field(
        default=None, description="Whether the baseline must include pulse oximetry."
    )
    """Whether the baseline must include pulse oximetry."""
    baseline_max_systolic_mmhg: _MmHg | None = Field(
        default=None, description="Highest systolic pressure before a dose (1-300 mmHg)."
    )
    """Highest systolic pressure before a dose (1-300 mmHg)."""
    baseline_max_diastolic_mmhg: _MmHg | None = Field(
        default=None, description="Highest diastolic pressure before a dose (1-300 mmHg)."
    )
    """Highest diastolic pressure before a dose (1-300 mmHg)."""
    post_dose_bp_from_minutes: Annotated[int, Field(ge=0, le=10_080), WHOLE] | None = Field(
        default=None, description="Start of the post-dose blood pressure window (minutes)."
    )
    """Start of the post-dose blood pressure window (minutes)."""
    post_dose_bp_until_minutes: _Minutes | None = Field(
        default=None, description="End of the post-dose blood pressure window (minutes)."
    )
    """End of the post-dose blood pressure window (minutes)."""
    monitoring_max_gap_minutes: _Minutes | None = Field(
        default=None, description="Longest time without a monitoring check, dose to discharge."
    )
    """Longest time without a monitoring check, dose to discharge."""
    observation_minimum_minutes: _Minutes | None = Field(
        default=None, description="Shortest time from the end of the last dose to discharge."
    )
    """Shortest time from the end of the last dose to discharge."""
    discharge_vitals_window_minutes: _Minutes | None = Field(
        default=None, description="A blood pressure is due at most this long before discharge."
    )
    """A blood pressure is due at most this long before discharge."""
    discharge_requires_escort: StrictBool | None = Field(
        default=None, description="Whether discharge needs a responsible adult escort."
    )
    """Whether discharge needs a responsible adult escort."""
    discharge_requires_driving_advice: StrictBool | None = Field(
        default=None, description="Whether discharge needs recorded no-driving advice."
    )
    """Whether discharge needs recorded no-driving advice."""
    adverse_event_min_severity: Severity | None = Field(
        default=None, description="Adverse events this severe or worse need a prompt check."
    )
    """Adverse events this severe or worse need a prompt check."""
    adverse_event_check_window_minutes: _Minutes | None = Field(
        default=None, description="How soon after such an adverse event the check is due."
    )
    """How soon after such an adverse event the check is due."""
    integration_note_window_days: _Days | None = Field(
        default=None, description="An integration note is due within this many days."
    )
    """An integration note is due within this many days."""
    rems_form_window_days: _Days | None = Field(
        default=None, description="The SPRAVATO Patient Monitoring Form is due within this."
    )
    """The SPRAVATO Patient Monitoring Form is due within this."""
    documentation_max_delay_hours: _Hours | None = Field(
        default=None, description="An event must be recorded at most this long after it occurred."
    )
    """An event must be recorded at most this long after it occurred."""

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.changed():
            raise rule_violation(message="name at least one setting to change")
        return self

    def changed(self) -> dict[str, Any]:
        """The settings this change sets, by name, as JSON values."""
        return self.model_dump(mode="json", exclude_none=True)


_SOME_SETTING: Final[dict[str, Any]] = any_given(ProfileSettings.model_fields)


def _about_the_clinic(schema: dict[str, Any]) -> None:
    schema["properties"]["patient_id"]["const"] = CLINIC_LEVEL_PATIENT


class ProfileChangedPayload(ContractModel):
    """The protocol, the new settings, who decided and why."""

    protocol: Protocol = Field(description="The protocol whose profile changes.")
    """The protocol whose profile changes."""
    settings: ProfileSettings = Field(
        description="The settings that change; the others keep the value in force."
    )
    """The settings that change; the others keep the value in force."""
    author: Identifier = Field(description="The staff member who decided the change.")
    """The staff member who decided the change."""
    reason: Text = Field(description="Why the thresholds changed (required, not blank).")
    """Why the thresholds changed (required, not blank)."""


class ProfileChanged(EventEnvelope):
    """A clinic changed the compliance settings of one protocol, from `occurred_at` on."""

    model_config = ConfigDict(json_schema_extra=_about_the_clinic)

    event_type: Literal["profile.changed"] = Field(description="Always `profile.changed`.")
    """Always `profile.changed`."""
    session_id: None = Field(
        default=None, description="Always null or omitted: no session is involved."
    )
    """Always null or omitted: no session is involved."""
    payload: ProfileChangedPayload = Field(description="The protocol, settings, author, reason.")
    """The protocol, settings, author, reason."""

    @field_validator("patient_id")
    @classmethod
    def _about_no_patient(cls, value: str) -> str:
        # The envelope's field, kept: a clinic-level event fills it with a fixed marker so
        # that the log's patient column stays NOT NULL and no patient's data ever includes it.
        if value != CLINIC_LEVEL_PATIENT:
            raise rule_violation(
                message=f"patient_id must be {CLINIC_LEVEL_PATIENT!r}: profile.changed is "
                "about the clinic, not a patient"
            )
        return value
