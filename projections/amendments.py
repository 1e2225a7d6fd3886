"""Amendments: the corrected view of a history, with the original kept beside it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pydantic import ValidationError

from events import RecordAmended, SessionEvent
from projections.recorded import Recorded

__all__ = ["Amended", "amend_streams", "apply_amendments"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Amended:
    """One event as the projections use it: corrected values, and what corrected them."""

    recorded: Recorded
    """The event with every applicable correction applied to its payload."""
    original: Recorded
    """The event as first recorded."""
    amendments: tuple[Recorded, ...] = ()
    """The ``record.amended`` events applied, in log order."""
    rejected_amendments: tuple[tuple[Recorded, str], ...] = ()
    """Amendments that could not be applied, with the reason (they stay visible)."""


def apply_amendments(events: Sequence[Recorded]) -> list[Amended]:
    """Apply every ``record.amended`` to the event it names; amendments themselves are kept.

    A correction that would make the event invalid is not applied: a projection
    must never see a payload the contract forbids. It is reported instead.
    """
    ordered = [Amended(recorded=r, original=r) for r in events]
    if not any(isinstance(r.event, RecordAmended) for r in events):
        return ordered  # nearly every history: nothing to index or correct
    index_of = {entry.recorded.event_id: i for i, entry in enumerate(ordered)}
    for amending in events:
        amendment = amending.event
        if not isinstance(amendment, RecordAmended):
            continue
        target_index = index_of.get(str(amendment.payload.amends_event_id))
        if target_index is None:
            continue
        target = ordered[target_index]
        try:
            corrected = _corrected(target.recorded.event, amendment.payload.corrected)
        except ValueError as problem:
            ordered[target_index] = replace(
                target,
                rejected_amendments=(*target.rejected_amendments, (amending, str(problem))),
            )
        else:
            ordered[target_index] = replace(
                target,
                recorded=replace(target.recorded, event=corrected),
                amendments=(*target.amendments, amending),
            )
    return ordered


def amend_streams(*streams: Sequence[Recorded]) -> tuple[tuple[Amended, ...], ...]:
    """Each stream with every amendment applied, wherever the amendment lives.

    A correction may be filed in another stream than the event it corrects (a note's
    correction in the session it was written in, the note also under the session it
    integrates and in the patient's history), so amendments are applied across all the
    streams together, in log order. An event held by several streams is corrected once and
    returned only in the first stream that holds it.
    """
    seen: set[str] = set()
    combined: list[Recorded] = []
    for stream in streams:
        for recorded in stream:
            if recorded.event_id not in seen:
                seen.add(recorded.event_id)
                combined.append(recorded)
    combined.sort(key=lambda recorded: recorded.position)
    amended = {entry.recorded.event_id: entry for entry in apply_amendments(combined)}
    claimed: set[str] = set()
    result = []
    for stream in streams:
        ids = dict.fromkeys(r.event_id for r in stream if r.event_id not in claimed)
        claimed.update(ids)
        result.append(tuple(amended[event_id] for event_id in ids))
    return tuple(result)


def _corrected(event: SessionEvent, corrected: Mapping[str, object]) -> SessionEvent:
    document = json.loads(event.model_dump_json())
    declared = type(event.payload).model_fields
    unknown = sorted(name for name in corrected if name not in declared)
    if unknown:
        raise ValueError(f"no payload field {', '.join(unknown)} in {event.event_type}")
    document["payload"] = {**document["payload"], **corrected}
    try:
        return type(event).model_validate_json(json.dumps(document), strict=True)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"correction invalid at {where}: {first['msg']}") from None
