"""SPRAVATO REMS: patient enrolment and the per-session Patient Monitoring Form."""

from typing import Literal

from pydantic import Field

from events.enums import RemsProgram
from events.envelope import PatientLevelEvent, SessionLevelEvent
from events.primitives import ContractModel, Identifier

__all__ = [
    "RemsMonitoringFormSubmitted",
    "RemsMonitoringFormSubmittedPayload",
    "RemsPatientEnrolled",
    "RemsPatientEnrolledPayload",
]


class RemsPatientEnrolledPayload(ContractModel):
    """The REMS programme and the enrolment it issued."""

    program: RemsProgram = Field(description="The REMS programme; `spravato-rems`.")
    """The REMS programme; `spravato-rems`."""
    enrollment_id: Identifier = Field(description="The enrolment identifier the programme issued.")
    """The enrolment identifier the programme issued."""


class RemsPatientEnrolled(PatientLevelEvent):
    """The patient was enrolled in a REMS programme (required before the first treatment)."""

    event_type: Literal["rems.patient_enrolled"] = Field(
        description="Always `rems.patient_enrolled`."
    )
    """Always `rems.patient_enrolled`."""
    payload: RemsPatientEnrolledPayload = Field(description="The programme and enrolment id.")
    """The programme and enrolment id."""


class RemsMonitoringFormSubmittedPayload(ContractModel):
    """The submitted Patient Monitoring Form."""

    form_reference: Identifier = Field(
        description="The reference the REMS returned for the submitted form."
    )
    """The reference the REMS returned for the submitted form."""


class RemsMonitoringFormSubmitted(SessionLevelEvent):
    """The session's SPRAVATO Patient Monitoring Form was submitted (due within 7 days)."""

    event_type: Literal["rems.monitoring_form_submitted"] = Field(
        description="Always `rems.monitoring_form_submitted`."
    )
    """Always `rems.monitoring_form_submitted`."""
    payload: RemsMonitoringFormSubmittedPayload = Field(description="The form's reference.")
    """The form's reference."""
