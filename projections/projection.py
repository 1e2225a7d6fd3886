"""A projection: which read-model key an event touches, and the pure fold that updates it."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from projections.history import (
    PatientHistory,
    SessionHistory,
    evolve_patient,
    evolve_session,
    patient_key,
    session_key,
)
from projections.recorded import Recorded

__all__ = ["PATIENTS", "PROJECTIONS", "SESSIONS", "Projection", "fold"]

K = TypeVar("K", bound=Hashable)
S = TypeVar("S")


@dataclass(frozen=True, slots=True, kw_only=True)
class Projection(Generic[K, S]):
    """Everything a projector needs to maintain one read model, none of it I/O."""

    name: str
    key: Callable[[Recorded], K | None]
    """The read-model entry an event updates; None when it updates none."""
    evolve: Callable[[S | None, Recorded], S]
    """``evolve(state, event) -> state``: pure, and a no-op for an event already folded."""
    to_document: Callable[[S], dict[str, Any]]
    from_document: Callable[[dict[str, Any]], S]


def fold(
    projection: Projection[K, S], states: Mapping[K, S], events: Iterable[Recorded]
) -> dict[K, S]:
    """Fold ``events`` into ``states``; returns only the entries that changed."""
    changed: dict[K, S] = {}
    for recorded in events:
        key = projection.key(recorded)
        if key is None:
            continue
        current = changed[key] if key in changed else states.get(key)
        changed[key] = projection.evolve(current, recorded)
    return changed


SESSIONS: Projection[str, SessionHistory] = Projection(
    name="sessions",
    key=session_key,
    evolve=evolve_session,
    to_document=SessionHistory.to_document,
    from_document=SessionHistory.from_document,
)

PATIENTS: Projection[str, PatientHistory] = Projection(
    name="patients",
    key=patient_key,
    evolve=evolve_patient,
    to_document=PatientHistory.to_document,
    from_document=PatientHistory.from_document,
)

PROJECTIONS: Mapping[str, Projection[Any, Any]] = {p.name: p for p in (SESSIONS, PATIENTS)}
"""Every projection by name (what ``kapaudit projections rebuild NAME`` accepts)."""
