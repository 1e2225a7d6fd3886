"""What an audited read answers: the value shown, a refusal, or nothing there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

__all__ = ["Allowed", "Denied", "Missing", "ReadOutcome", "UnrecordedReadError"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowed(Generic[T]):
    """The read is permitted and recorded: ``value`` may be shown."""

    value: T
    clinic_id: str
    patient_ids: tuple[str, ...]
    """The patients whose read was recorded (none: the answer named no one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Denied:
    """The reader may not see this; the answer must not say whether it exists.

    Equal for another clinic's data and for nothing at all, so that no caller can tell
    the two apart from it.
    """

    what: str
    """What was asked for, e.g. ``session``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """Nothing of that id, told only to a reader who may see every clinic (an admin)."""

    what: str
    """What was looked for, e.g. ``session``."""


ReadOutcome: TypeAlias = Allowed[T] | Denied | Missing
"""One of the three; callers translate it into their kind of response."""


class UnrecordedReadError(Exception):
    """The read could not be written to the access log in time, so it must not be served.

    An exception rather than a fourth outcome: a caller that forgets to handle it fails
    with an error, never by showing data nobody accounted for.
    """
