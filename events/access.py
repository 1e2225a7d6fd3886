"""Who looked at what: reads of session and patient data, recorded like clinical facts.

HIPAA 45 CFR 164.312(b) requires audit controls and 164.528 an accounting of
disclosures; recording reads in the same append-only log makes them as
tamper-evident as the clinical record. One event per patient whose data a read
disclosed, so that a patient's accounting is one stream.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from events.envelope import EventEnvelope
from events.primitives import ContractModel, Identifier, Label, Text

__all__ = [
    "AccessChannel",
    "AccessOutcome",
    "AccessRecorded",
    "AccessRecordedPayload",
    "AccessRole",
]


class AccessRole(StrEnum):
    """The role of the API token used for the read."""

    PUBLISHER = "publisher"
    COMPLIANCE_OFFICER = "compliance_officer"
    REGULATOR = "regulator"
    ADMIN = "admin"


class AccessOutcome(StrEnum):
    """What the reader got."""

    ALLOWED = "allowed"
    """The data was shown."""
    DENIED = "denied"
    """The token had no right to it; nothing was shown."""


class AccessChannel(StrEnum):
    """Where the read came from."""

    API = "api"
    DASHBOARD = "dashboard"


class AccessRecordedPayload(ContractModel):
    """The reader, what was read, and the outcome."""

    token_name: Label = Field(description="The name of the API token used (whose it is).")
    """The name of the API token used (whose it is)."""
    role: AccessRole = Field(description="The token's role.")
    """The token's role."""
    channel: AccessChannel = Field(description="`api` or `dashboard`.")
    """`api` or `dashboard`."""
    resource: Text = Field(description="What was read, e.g. `GET /v1/sessions/s-1/timeline`.")
    """What was read, e.g. `GET /v1/sessions/s-1/timeline`."""
    query: dict[Identifier, Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=dict,
        description="The query parameters of the read (values may be empty; at most 1000 chars).",
    )
    """The query parameters of the read (values may be empty; at most 1000 chars)."""
    outcome: AccessOutcome = Field(description="`allowed` or `denied`.")
    """`allowed` or `denied`."""


class AccessRecorded(EventEnvelope):
    """Someone read a patient's session or patient data through kapaudit."""

    event_type: Literal["access.recorded"] = Field(description="Always `access.recorded`.")
    """Always `access.recorded`."""
    session_id: Identifier | None = Field(
        default=None, description="The session read, if the read was of one session."
    )
    """The session read, if the read was of one session."""
    payload: AccessRecordedPayload = Field(description="Who read what, and the outcome.")
    """Who read what, and the outcome."""
