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
    patient_keys,
    session_keys,
)
from projections.profiles import ProtocolProfile, evolve_profile, profile_keys
from projections.recorded import Recorded

__all__ = ["PATIENTS", "PROFILES", "PROJECTIONS", "SESSIONS", "Projection", "fold"]

K = TypeVar("K", bound=Hashable)
S = TypeVar("S")


@dataclass(frozen=True, slots=True, kw_only=True)
class Projection(Generic[K, S]):
    """Everything a projector needs to maintain one read model, none of it I/O."""

    name: str
    version: int
    """The fold's version: bump it whenever ``keys`` or ``evolve`` would build a different
    read model from the same log. Read models built by another version are rebuilt from
    the log by the projector on its next step."""
    keys: Callable[[Recorded], tuple[K, ...]]
    """The read-model entries an event updates (often one, sometimes none)."""
    evolve: Callable[..., S]
    """``evolve(state, event, key=key) -> state``: pure, a no-op for an event already folded."""
    to_document: Callable[[S], dict[str, Any]]
    from_document: Callable[[dict[str, Any]], S]


def fold(
    projection: Projection[K, S],
    states: Mapping[K, S],
    events: Iterable[Recorded],
    *,
    on_fault: Callable[[Recorded, Exception], None] | None = None,
) -> dict[K, S]:
    """Fold ``events`` into ``states``; returns only the entries that changed.

    With ``on_fault``, an event that ``keys`` or ``evolve`` fails on is left out of every
    entry it touches and handed to ``on_fault``, and the fold goes on; without, it raises.
    """
    changed: dict[K, S] = {}
    for recorded in events:
        try:
            updates = {
                key: projection.evolve(
                    changed[key] if key in changed else states.get(key), recorded, key=key
                )
                for key in projection.keys(recorded)
            }
        except Exception as problem:
            if on_fault is None:
                raise
            on_fault(recorded, problem)
            continue
        changed.update(updates)
    return changed


SESSIONS: Projection[str, SessionHistory] = Projection(
    name="sessions",
    # 2: events of another clinic or patient stay out; corrected bookings set the protocol.
    # 3: events outside the contract's ranges (doses, corrections) are skipped as faults.
    version=3,
    keys=session_keys,
    evolve=evolve_session,
    to_document=SessionHistory.to_document,
    from_document=SessionHistory.from_document,
)

PATIENTS: Projection[str, PatientHistory] = Projection(
    name="patients",
    # 2: also holds the patient's integration notes and corrections moving them.
    # 3: events outside the contract's ranges (doses, corrections) are skipped as faults.
    version=3,
    keys=patient_keys,
    evolve=evolve_patient,
    to_document=PatientHistory.to_document,
    from_document=PatientHistory.from_document,
)

PROFILES: Projection[str, ProtocolProfile] = Projection(
    name="profiles",
    version=1,
    keys=profile_keys,
    evolve=evolve_profile,
    to_document=ProtocolProfile.to_document,
    from_document=ProtocolProfile.from_document,
)

PROJECTIONS: Mapping[str, Projection[Any, Any]] = {
    p.name: p for p in (SESSIONS, PATIENTS, PROFILES)
}
"""Every projection by name (what ``kapaudit projections rebuild NAME`` accepts)."""
