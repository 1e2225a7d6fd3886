"""The life cycle of a treatment session: scheduled, started, ended."""

from typing import Literal

from pydantic import Field

from events.enums import Protocol
from events.envelope import SessionLevelEvent
from events.primitives import ContractModel, Identifier, Instant

__all__ = [
    "EmptyPayload",
    "SessionEnded",
    "SessionScheduled",
    "SessionScheduledPayload",
    "SessionStarted",
]


class EmptyPayload(ContractModel):
    """No payload fields: the envelope says everything (send `{}`)."""


class SessionScheduledPayload(ContractModel):
    """The protocol, time and place a session is booked for."""

    protocol: Protocol = Field(description="The treatment protocol; it selects the rules checked.")
    """The treatment protocol; it selects the rules checked."""
    scheduled_start: Instant = Field(
        description="Planned start: RFC 3339 timestamp with a UTC offset, years 1970-2999."
    )
    """Planned start: RFC 3339 timestamp with a UTC offset, years 1970-2999."""
    setting_id: Identifier = Field(description="The treatment room or certified setting.")
    """The treatment room or certified setting."""


class SessionScheduled(SessionLevelEvent):
    """A treatment session was booked."""

    event_type: Literal["session.scheduled"] = Field(description="Always `session.scheduled`.")
    """Always `session.scheduled`."""
    payload: SessionScheduledPayload = Field(description="Protocol, planned start and setting.")
    """Protocol, planned start and setting."""


class SessionStarted(SessionLevelEvent):
    """The patient arrived and the session began."""

    event_type: Literal["session.started"] = Field(description="Always `session.started`.")
    """Always `session.started`."""
    payload: EmptyPayload = Field(description="Always the empty object `{}`.")
    """Always the empty object `{}`."""


class SessionEnded(SessionLevelEvent):
    """The session was closed; nothing further happens in it clinically."""

    event_type: Literal["session.ended"] = Field(description="Always `session.ended`.")
    """Always `session.ended`."""
    payload: EmptyPayload = Field(description="Always the empty object `{}`.")
    """Always the empty object `{}`."""
