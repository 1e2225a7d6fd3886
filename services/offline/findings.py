"""What ``verify-export`` reports: one finding per problem, naming the file and the event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["NO_EVENT", "Code", "Finding"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

NO_EVENT = "-"
"""The ``event_id`` of a finding that is about a file or a proof, not one event."""


class Code(StrEnum):
    """A finding's stable code: regulators' scripts match on it, so it never changes."""

    SIGNATURE = "signature"
    FILE_CHANGED = "file-changed"
    FILE_MISSING = "file-missing"
    FILE_ADDED = "file-added"
    EVENT_CHANGED = "event-changed"
    EVENT_MISSING = "event-missing"
    EVENT_ADDED = "event-added"
    EVENT_DUPLICATED = "event-duplicated"
    EVENT_REORDERED = "event-reordered"
    CHAIN_BROKEN = "chain-broken"
    NOT_IN_CHECKPOINT = "not-in-checkpoint"
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"
    NOT_AN_EXTENSION = "not-an-extension"
    OUT_OF_SCOPE = "out-of-scope"
    COUNT_MISMATCH = "count-mismatch"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem: where (``file``, ``event_id`` or ``NO_EVENT``), what (``code``), why."""

    file: str
    event_id: str
    code: Code
    message: str

    def line(self) -> str:
        """``FILE: EVENT_ID: CODE: message`` on one line, whatever the message holds."""
        text = f"{self.file}: {self.event_id}: {self.code.value}: {self.message}"
        # Names come from the bundle: a control character must not reach a terminal.
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
