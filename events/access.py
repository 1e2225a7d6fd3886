"""Who looked at what: reads of session and patient data, recorded like clinical facts.

HIPAA 45 CFR 164.312(b) requires audit controls and 164.528 an accounting of
disclosures; recording reads in the same append-only log makes them as
tamper-evident as the clinical record. One event per patient whose data a read
disclosed, so that a patient's accounting is one stream.

Schema version 2 added the channel `cli`: version 1 knew only `api` and `dashboard`, so
the command line's reads had to pass for API calls. A version 1 document is still
accepted and upcast (`upcast_access_recorded_v1`); it cannot name `cli`.

Schema version 3 added clinic-level reads: a look at the clinic's access report is one
record about no patient (`patient_id` is `-`, as for `profile.changed`), not one per
patient it lists, or the report would fill with its own reader's looks. A version 2
document is upcast unchanged (`upcast_access_recorded_v2`); it cannot be clinic-level.
"""

from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from events.envelope import EventEnvelope
from events.primitives import ContractModel, Identifier, Label, Text
from events.profiles import CLINIC_LEVEL_PATIENT
from events.rules import rule_violation

__all__ = [
    "AccessChannel",
    "AccessOutcome",
    "AccessRecorded",
    "AccessRecordedPayload",
    "AccessRole",
    "upcast_access_recorded_v1",
    "upcast_access_recorded_v2",
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
    """Someone read a patient's data, or (patient `-`) the clinic's access report."""

    event_type: Literal["access.recorded"] = Field(description="Always `access.recorded`.")
    """Always `access.recorded`."""
    # 3 since clinic-level reads; the envelope's wording, since every docstring of a field
    # up the classes must repeat its description.
    schema_version: Literal[3] = Field(  # type: ignore[assignment]
        description="Version of this event type's schema."
    )
    """Version of this event type's schema."""
    session_id: Identifier | None = Field(
        default=None,
        description="The session read, if the read was of one session (never with patient `-`).",
    )
    """The session read, if the read was of one session (never with patient `-`)."""
    payload: AccessRecordedPayload = Field(description="Who read what, and the outcome.")
    """Who read what, and the outcome."""

    @model_validator(mode="after")
    def _clinic_level_reads_name_no_session(self) -> Self:
        # A session is one patient's: a read of one names its patient, and a record of
        # no patient naming a session would bind that session to no one.
        if self.patient_id == CLINIC_LEVEL_PATIENT and self.session_id is not None:
            raise rule_violation(
                message=f"a clinic-level read (patient_id {CLINIC_LEVEL_PATIENT!r}) names no "
                "session; a read of one session names its patient",
                fields=("session_id",),
            )
        return self


def upcast_access_recorded_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: the fields are the same, and version 2 only adds a channel.

    A version 1 document naming `cli` was never valid; accepting it now would let an old
    document claim what its schema could not say, so it stays a schema violation.
    """
    channel = document["payload"]["channel"]
    if channel not in _V1_CHANNELS:
        raise ValueError(f"channel {channel!r} is not one of schema version 1's: api, dashboard")
    return document


def upcast_access_recorded_v2(document: dict[str, Any]) -> dict[str, Any]:
    """Version 2 to 3: the fields are the same, and version 3 only adds clinic-level reads.

    Version 2 said every record is one patient's, so one naming patient `-` would claim
    what its schema could not say; it stays a schema violation, as `cli` in version 1.
    """
    if document["patient_id"] == CLINIC_LEVEL_PATIENT:
        raise ValueError(
            f"patient_id {CLINIC_LEVEL_PATIENT!r} (a clinic-level read) is new in schema "
            "version 3; version 2 records one patient's read"
        )
    return document
