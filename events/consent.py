"""Informed consent to treatment, and its withdrawal."""

from typing import Literal

from pydantic import Field

from events.envelope import PatientLevelEvent
from events.primitives import ContractModel, Identifier, Text

__all__ = ["ConsentGiven", "ConsentGivenPayload", "ConsentWithdrawn", "ConsentWithdrawnPayload"]


class ConsentGivenPayload(ContractModel):
    """The consent form the patient signed and what was disclosed."""

    form_id: Identifier = Field(description="Identifier of the signed consent form.")
    """Identifier of the signed consent form."""
    form_version: Identifier = Field(description="Version of the consent form template.")
    """Version of the consent form template."""
    off_label_disclosed: bool = Field(
        description="Whether off-label use of ketamine was disclosed to the patient."
    )
    """Whether off-label use of ketamine was disclosed to the patient."""
    risks_discussed: bool = Field(description="Whether the risks were discussed with the patient.")
    """Whether the risks were discussed with the patient."""
    witness_id: Identifier | None = Field(
        default=None, description="Staff identifier of the witness to the signature, if any."
    )
    """Staff identifier of the witness to the signature, if any."""


class ConsentGiven(PatientLevelEvent):
    """The patient gave informed consent to ketamine-assisted treatment."""

    event_type: Literal["consent.given"] = Field(description="Always `consent.given`.")
    """Always `consent.given`."""
    payload: ConsentGivenPayload = Field(description="The consent form and what was disclosed.")
    """The consent form and what was disclosed."""


class ConsentWithdrawnPayload(ContractModel):
    """Why consent was withdrawn, if the patient said."""

    reason: Text | None = Field(
        default=None, description="The patient's stated reason, if any (at most 1000 characters)."
    )
    """The patient's stated reason, if any (at most 1000 characters)."""


class ConsentWithdrawn(PatientLevelEvent):
    """The patient withdrew consent; no further treatment may be given under it."""

    event_type: Literal["consent.withdrawn"] = Field(description="Always `consent.withdrawn`.")
    """Always `consent.withdrawn`."""
    payload: ConsentWithdrawnPayload = Field(description="The reason for withdrawal, if given.")
    """The reason for withdrawal, if given."""
