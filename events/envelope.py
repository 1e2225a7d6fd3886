"""The envelope every event shares: identity, time, clinic, patient, session and actor."""

from typing import Any, Final, Literal, get_args
from uuid import UUID

from pydantic import Field, field_validator

from events.enums import ActorRole
from events.primitives import ClinicId, ContractModel, Identifier, Instant, Label
from events.rules import rule_violation

__all__ = ["SERVER_FIELDS", "Actor", "EventEnvelope", "PatientLevelEvent", "SessionLevelEvent"]

SERVER_FIELDS: Final = frozenset({"recorded_at", "position", "sequence", "prev_hash", "hash"})
"""Envelope fields the audit service assigns on storage; a publisher must never send them."""


class Actor(ContractModel):
    """The person or system that performed the recorded action."""

    id: Identifier = Field(description="Staff or system identifier (1-64 characters).")
    """Staff or system identifier (1-64 characters)."""
    role: ActorRole = Field(description="The role in which the actor acted.")
    """The role in which the actor acted."""


class EventEnvelope(ContractModel):
    """Fields common to every event; subclasses add `event_type`, `session_id` and `payload`."""

    event_id: UUID = Field(description="Chosen by the publisher; the idempotency key.")
    """Chosen by the publisher; the idempotency key."""
    schema_version: Literal[1] = Field(description="Version of this event type's schema.")
    """Version of this event type's schema."""
    occurred_at: Instant = Field(
        description="When it happened clinically: RFC 3339 with a UTC offset, years 1970-2999."
    )
    """When it happened clinically: RFC 3339 with a UTC offset, years 1970-2999."""
    clinic_id: ClinicId = Field(description="The clinic (1-64 characters, no '/').")
    """The clinic (1-64 characters, no '/')."""
    patient_id: Identifier = Field(
        description="Pseudonymous patient identifier, never a name (1-64 characters)."
    )
    """Pseudonymous patient identifier, never a name (1-64 characters)."""
    actor: Actor = Field(description="Who did it.")
    """Who did it."""
    source: Label = Field(description="The publishing system (1-128 characters).")
    """The publishing system (1-128 characters)."""

    @classmethod
    def declared_event_type(cls) -> str:
        """The `event_type` literal a concrete event class is tagged with."""
        (tag,) = get_args(cls.model_fields["event_type"].annotation)
        return str(tag)


class PatientLevelEvent(EventEnvelope):
    """An event about the patient rather than one session; it is chained per patient."""

    session_id: Identifier | None = Field(
        default=None,
        description="The treatment session, if any (1-64 characters); may be null or omitted.",
    )
    """The treatment session, if any (1-64 characters); may be null or omitted."""


class SessionLevelEvent(EventEnvelope):
    """An event within one treatment session; it is chained per session."""

    session_id: Identifier = Field(
        description="The treatment session (1-64 characters); required and never null."
    )
    """The treatment session (1-64 characters); required and never null."""

    @field_validator("session_id", mode="before")
    @classmethod
    def _session_id_is_not_null(cls, value: Any) -> Any:
        # Strict str validation would only say "Input should be a valid string"; a publisher
        # who sent null needs to know why this event type, unlike consent, needs a session.
        if value is None:
            patient_level = sorted(
                event_class.declared_event_type()
                for event_class in PatientLevelEvent.__subclasses__()
            )
            raise rule_violation(
                message=f"session_id is required for {cls.declared_event_type()} events; "
                f"only patient-level events ({', '.join(patient_level)}) may omit it"
            )
        return value
