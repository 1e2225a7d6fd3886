"""An adverse event during or after treatment."""

from typing import Literal

from pydantic import Field

from events.enums import AdverseEventCategory, Severity
from events.envelope import SessionLevelEvent
from events.primitives import ContractModel, Text

__all__ = ["AdverseEventReported", "AdverseEventReportedPayload"]


class AdverseEventReportedPayload(ContractModel):
    """How severe the adverse event was, what kind, and what was done."""

    severity: Severity = Field(description="How severe the event was.")
    """How severe the event was."""
    category: AdverseEventCategory = Field(description="What kind of event it was.")
    """What kind of event it was."""
    action_taken: Text | None = Field(
        default=None, description="What staff did in response (at most 1000 characters)."
    )
    """What staff did in response (at most 1000 characters)."""


class AdverseEventReported(SessionLevelEvent):
    """An adverse event was observed and reported."""

    event_type: Literal["adverse_event.reported"] = Field(
        description="Always `adverse_event.reported`."
    )
    """Always `adverse_event.reported`."""
    payload: AdverseEventReportedPayload = Field(description="Severity, category and response.")
    """Severity, category and response."""
