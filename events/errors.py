"""Why an event was rejected, in terms a publisher can act on."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = ["ROOT_PATH", "EventRejected", "FieldError", "RejectionReason"]

ROOT_PATH: Final = "(root)"
"""The path of an error about the document as a whole."""


class RejectionReason(StrEnum):
    """The stage at which an event was rejected; it decides how the publisher should react."""

    TOO_LARGE = "too_large"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    SCHEMA_VIOLATION = "schema_violation"
    WRONG_TOPIC = "wrong_topic"
    """Valid, but on a topic its event_type does not travel on: `access.recorded` belongs
    on kapaudit's own access topic only, every other type on the event topic only."""
    CONFLICT = "conflict"
    """The event_id was already stored with different content."""
    UNSTORABLE = "unstorable"
    """Valid by the contract, but the database refused it (a gap in the contract to close)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldError:
    """One problem with an event, located by a dotted path such as `payload.dose_mg`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class EventRejected(Exception):  # noqa: N818 - the name is the public contract
    """An event that cannot be accepted, with every problem found."""

    reason: RejectionReason
    errors: tuple[FieldError, ...]

    def __init__(self, *, reason: RejectionReason, errors: Sequence[FieldError]) -> None:
        self.reason = reason
        self.errors = tuple(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.errors:
            return str(self.reason)
        return f"{self.reason}: " + "; ".join(str(error) for error in self.errors)

    def __reduce__(self) -> tuple[object, ...]:
        # The keyword-only constructor defeats Exception's default pickling (args replay).
        return (_rebuild, (self.reason, self.errors))


def _rebuild(reason: RejectionReason, errors: tuple[FieldError, ...]) -> EventRejected:
    return EventRejected(reason=reason, errors=errors)
