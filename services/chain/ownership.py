"""Check ``session_owners`` against the log: each session belongs to its first event's owner.

The recorder binds a session to the clinic and patient of the first event naming it and
refuses others' events for it, so the table decides whose a session is. It is not hashed,
so it is checked here against the log, which is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from services.chain.verify import BrokenLink, LogRow, Problem

__all__ = ["OwnershipCheck", "SessionOwner"]

# The one event type that names a second session (see the recorder's _sessions_named).
_INTEGRATION_NOTE = "integration_note.recorded"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionOwner:
    """The clinic and patient a session id is bound to."""

    clinic_id: str
    patient_id: str


class OwnershipCheck:
    """Collects the first event naming each session while rows stream past, in any order."""

    def __init__(self) -> None:
        self._first: dict[str, LogRow] = {}

    def see(self, row: LogRow) -> None:
        for session in _sessions_named(row):
            first = self._first.get(session)
            if first is None or row.position < first.position:
                self._first[session] = row

    def problems(self, owners: Mapping[str, SessionOwner]) -> Iterator[BrokenLink]:
        """Every session whose owner row is missing or disagrees, and every row of no session."""
        for session, first in sorted(self._first.items(), key=lambda item: item[1].position):
            owner = owners.get(session)
            if owner is None:
                yield _at(first, f"session {session!r} has no row in session_owners")
            elif (owner.clinic_id, owner.patient_id) != (first.clinic_id, first.patient_id):
                yield _at(
                    first,
                    f"session_owners binds session {session!r} to {owner.clinic_id} / "
                    f"{owner.patient_id}, not to the first event naming it",
                )
        for session in sorted(set(owners) - set(self._first)):
            owner = owners[session]
            yield BrokenLink(
                stream_id=f"{owner.clinic_id}/session/{session}",
                sequence=0,
                position=None,
                event_id=None,
                problem=Problem.OWNERSHIP,
                detail=f"session_owners has a row for session {session!r}, "
                "but no event in the log names it",
            )


def _sessions_named(row: LogRow) -> list[str]:
    named = [row.session_id] if row.session_id is not None else []
    if row.event_type == _INTEGRATION_NOTE:
        try:
            integrated = json.loads(row.event_json)["payload"]["integrates_session_id"]
        except (ValueError, KeyError, TypeError):
            # An unreadable event is reported as modified by the chain check.
            return named
        if isinstance(integrated, str):
            named.append(integrated)
    return named


def _at(row: LogRow, detail: str) -> BrokenLink:
    return BrokenLink(
        stream_id=row.stream_id,
        sequence=row.sequence,
        position=row.position,
        event_id=row.event_id,
        problem=Problem.OWNERSHIP,
        detail=detail,
    )
