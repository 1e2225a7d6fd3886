"""Integration psychotherapy that follows a dosing session."""

from typing import Literal

from pydantic import Field

from events.envelope import SessionLevelEvent
from events.primitives import ContractModel, Identifier, Label, Sha256Hex

__all__ = ["IntegrationNoteRecorded", "IntegrationNoteRecordedPayload"]


class IntegrationNoteRecordedPayload(ContractModel):
    """Which dosing session was integrated, and a fingerprint of the note."""

    integrates_session_id: Identifier = Field(
        description="The dosing session this integration work follows up."
    )
    """The dosing session this integration work follows up."""
    note_sha256: Sha256Hex = Field(
        description="SHA-256 of the note as 64 lowercase hex characters; the note stays in the EHR."
    )
    """SHA-256 of the note as 64 lowercase hex characters; the note stays in the EHR."""
    modality: Label | None = Field(
        default=None, description="The kind of integration work, e.g. individual psychotherapy."
    )
    """The kind of integration work, e.g. individual psychotherapy."""


class IntegrationNoteRecorded(SessionLevelEvent):
    """An integration session's note was written in the EHR."""

    event_type: Literal["integration_note.recorded"] = Field(
        description="Always `integration_note.recorded`."
    )
    """Always `integration_note.recorded`."""
    payload: IntegrationNoteRecordedPayload = Field(
        description="The integrated session and the note's fingerprint."
    )
    """The integrated session and the note's fingerprint."""
