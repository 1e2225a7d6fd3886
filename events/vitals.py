"""A monitoring check: vital signs and mental status at one moment."""

from typing import Annotated, Final, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from events.cross_field import any_given, given_together
from events.enums import Sedation
from events.envelope import SessionLevelEvent
from events.primitives import WHOLE, ContractModel
from events.rules import rule_violation

__all__ = ["MEASUREMENT_FIELDS", "VitalsRecorded", "VitalsRecordedPayload"]

MEASUREMENT_FIELDS: Final = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_pct",
    "respiratory_rate",
    "sedation",
    "dissociation",
)
"""The payload fields of which a monitoring check must carry at least one."""


_STATED_RULES: Final = {
    **any_given(MEASUREMENT_FIELDS),
    "allOf": given_together("systolic_mmhg", "diastolic_mmhg"),
}
"""What JSON Schema can state of the rules below (not: systolic above diastolic)."""


class VitalsRecordedPayload(ContractModel):
    """The measurements taken. Each is optional, but at least one is required; a blood
    pressure needs both systolic_mmhg and diastolic_mmhg, with systolic above diastolic."""

    model_config = ConfigDict(json_schema_extra=lambda schema: schema.update(_STATED_RULES))

    systolic_mmhg: Annotated[int, Field(ge=40, le=300), WHOLE] | None = Field(
        default=None,
        description="Systolic blood pressure in mmHg (integer, 40-300); needs diastolic_mmhg.",
    )
    """Systolic blood pressure in mmHg (integer, 40-300); needs diastolic_mmhg."""
    diastolic_mmhg: Annotated[int, Field(ge=20, le=200), WHOLE] | None = Field(
        default=None,
        description="Diastolic blood pressure in mmHg (integer, 20-200); needs systolic_mmhg.",
    )
    """Diastolic blood pressure in mmHg (integer, 20-200); needs systolic_mmhg."""
    heart_rate_bpm: Annotated[int, Field(ge=20, le=250), WHOLE] | None = Field(
        default=None, description="Heart rate in beats per minute (integer, 20-250)."
    )
    """Heart rate in beats per minute (integer, 20-250)."""
    spo2_pct: float | None = Field(
        default=None,
        ge=50,
        le=100,
        allow_inf_nan=False,
        description="Oxygen saturation by pulse oximetry in percent (number, 50-100).",
    )
    """Oxygen saturation by pulse oximetry in percent (number, 50-100)."""
    respiratory_rate: Annotated[int, Field(ge=4, le=60), WHOLE] | None = Field(
        default=None, description="Breaths per minute (integer, 4-60)."
    )
    """Breaths per minute (integer, 4-60)."""
    sedation: Sedation | None = Field(default=None, description="Observed depth of sedation.")
    """Observed depth of sedation."""
    dissociation: bool | None = Field(
        default=None, description="Whether the patient was dissociated at the check."
    )
    """Whether the patient was dissociated at the check."""

    @model_validator(mode="after")
    def _is_a_plausible_check(self) -> Self:
        if all(getattr(self, name) is None for name in MEASUREMENT_FIELDS):
            raise rule_violation(
                message="At least one measurement is required: " + ", ".join(MEASUREMENT_FIELDS)
            )
        systolic, diastolic = self.systolic_mmhg, self.diastolic_mmhg
        if systolic is not None and diastolic is None:
            raise rule_violation(
                message="Required when systolic_mmhg is given (a blood pressure needs both)",
                fields=("diastolic_mmhg",),
            )
        if diastolic is not None and systolic is None:
            raise rule_violation(
                message="Required when diastolic_mmhg is given (a blood pressure needs both)",
                fields=("systolic_mmhg",),
            )
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            raise rule_violation(
                message="systolic_mmhg must be greater than diastolic_mmhg",
                fields=("systolic_mmhg",),
            )
        return self


class VitalsRecorded(SessionLevelEvent):
    """A monitoring check was performed: vital signs and/or mental status."""

    event_type: Literal["vitals.recorded"] = Field(description="Always `vitals.recorded`.")
    """Always `vitals.recorded`."""
    payload: VitalsRecordedPayload = Field(description="The measurements taken.")
    """The measurements taken."""
