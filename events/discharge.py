"""The patient leaving the clinic after treatment."""

from typing import Literal

from pydantic import Field

from events.envelope import SessionLevelEvent
from events.primitives import ContractModel

__all__ = ["PatientDischarged", "PatientDischargedPayload"]


class PatientDischargedPayload(ContractModel):
    """The discharge criteria as assessed at discharge."""

    clinically_stable: bool = Field(
        description="Whether sedation, dissociation and vital signs had resolved."
    )
    """Whether sedation, dissociation and vital signs had resolved."""
    escort_present: bool = Field(description="Whether a responsible adult escorted the patient.")
    """Whether a responsible adult escorted the patient."""
    driving_advice_given: bool = Field(
        description="Whether the patient was told not to drive until the next day."
    )
    """Whether the patient was told not to drive until the next day."""


class PatientDischarged(SessionLevelEvent):
    """The patient was discharged from the session."""

    event_type: Literal["patient.discharged"] = Field(description="Always `patient.discharged`.")
    """Always `patient.discharged`."""
    payload: PatientDischargedPayload = Field(description="The discharge criteria.")
    """The discharge criteria."""
