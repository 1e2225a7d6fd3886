"""Who looked at what: reads of session and patient data, recorded like clinical facts.

HIPAA 45 CFR 164.312(b) requires audit controls and 164.528 an accounting of
disclosures; recording reads in the same append-only log makes them as
tamper-evident as the clinical record. One event per patient whose data a read
disclosed, so that a patient's accounting is one stream.

Schema version 2 added the channel `cli`: version 1 knew only `api` and `dashboard`, so
the command line's reads had to pass for API calls. A version 1 document is still
accepted and upcast (`upcast_access_recorded_v1`); it cannot name `cli`.
"""

from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import Field, StringConstraints

from events.envelope import EventEnvelope
from events.primitives import ContractModel, Identifier, Label, Text

__all__ = [
    "AccessChannel",
    "AccessOutcome",
    "AccessRecorded",
    "AccessRecordedPayload",
    "AccessRole",
    "upcast_access_recorded_v1",
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
    CLI = "cli"
    """`kapaudit report` and `kapaudit export` on the command line (schema version 2)."""


_V1_CHANNELS: Final = frozenset({"api", "dashboard"})


class AccessRecordedPayload(ContractModel):
    """The reader, what was read, and the outcome."""

    token_name: Label = Field(description="The name of the API token used (whose it is).")
    """The name of the API token used (whose it is)."""
    role: AccessRole = Field(description="The token's role.")
    """The token's role."""
    channel: AccessChannel = Field(
        description="`api`, `dashboard` or `cli` (the command line; schema version 2 on)."
    )
    """`api`, `dashboard` or `cli` (the command line; schema version 2 on)."""
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
    # 2 since the channel `cli`; the envelope's wording, since every docstring of a field
    # up the classes must repeat its description.
    schema_version: Literal[2] = Field(  # type: ignore[assignment]
        description="Version of this event type's schema."
    )
    """Version of this event type's schema."""
    session_id: Identifier | None = Field(
        default=None, description="The session read, if the read was of one session."
    )
    """The session read, if the read was of one session."""
    payload: AccessRecordedPayload = Field(description="Who read what, and the outcome.")
    """Who read what, and the outcome."""


def upcast_access_recorded_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: the fields are the same, and version 2 only adds a channel.

    A version 1 document naming `cli` was never valid; accepting it now would let an old
    document claim what its schema could not say, so it stays a schema violation.
    """
    channel = document["payload"]["channel"]
    if channel not in _V1_CHANNELS:
        raise ValueError(f"channel {channel!r} is not one of schema version 1's: api, dashboard")
    return document
