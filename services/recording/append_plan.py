"""The append plan: what a batch does to the log, decided without a database.

Given the batch and what the log already holds of it (the bodies of its event ids, the
owners of the sessions it names, the heads of its streams), ``plan_append`` returns the
rows to insert with their Merkle leaves, the duplicates, the rejections and the session
owners to bind. The store adapter only loads those inputs, writes the plan and retries;
the policy (duplicate or conflict, one session per clinic and patient, chaining, the
words of each rejection) lives here and is tested without SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events import FieldError, IntegrationNoteRecorded, RejectionReason, SessionEvent, stream_id
from services.chain import GENESIS_HASH, ChainLink, chain_hash, record_bytes
from services.chain.merkle import leaf_hash
from services.recording.messages import Rejection, ValidEvent

__all__ = ["AppendPlan", "Owner", "plan_append", "sessions_named", "unstorable"]

Owner = tuple[str, str]
"""(clinic id, patient id) a session belongs to."""


@dataclass(slots=True, kw_only=True)
class AppendPlan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    """``event_log`` rows in batch order, chained onto the stream heads."""
    leaves: list[bytes] = field(default_factory=list)
    """Each row's Merkle leaf hash, over the same record bytes as its chain hash."""
    duplicates: list[str] = field(default_factory=list)
    """Event ids already recorded with the same body: acknowledged, not stored again."""
    rejections: list[Rejection] = field(default_factory=list)
    """The batch's invalid messages, then the conflicts found here."""
    new_owners: list[dict[str, str]] = field(default_factory=list)
    """``session_owners`` rows for sessions the log had not seen."""


def plan_append(
    *,
    valid: Sequence[ValidEvent],
    invalid: Sequence[Rejection],
    known_bodies: Mapping[str, str],
    owners: Mapping[str, Owner],
    heads: Mapping[str, ChainLink],
    recorded_at: datetime,
) -> AppendPlan:
    """The plan for one batch. ``known_bodies``, ``owners`` and ``heads`` must cover every
    event id, named session and stream of ``valid`` that the log holds."""
    plan = AppendPlan(rejections=list(invalid))
    bodies = dict(known_bodies)
    fresh: list[ValidEvent] = []
    for item in valid:
        event_id = str(item.event.event_id)
        prior = bodies.get(event_id)
        if prior is None:
            bodies[event_id] = item.canonical_json
            fresh.append(item)
        elif prior == item.canonical_json:
            plan.duplicates.append(event_id)
        else:
            plan.rejections.append(_conflict(item))
    bound = dict(owners)
    chain_heads = dict(heads)
    for item in fresh:
        if not _bind(item, owners=bound, plan=plan):
            continue
        row, leaf = _chain(item, heads=chain_heads, recorded_at=recorded_at)
        plan.rows.append(row)
        plan.leaves.append(leaf)
    return plan


def _bind(item: ValidEvent, *, owners: dict[str, Owner], plan: AppendPlan) -> bool:
    """Whether the event's sessions belong to its clinic and patient; binds new ones.

    Projections and reads know a session by its id alone, so an event of another clinic
    or patient naming the same id would be folded into this session's record (and shown
    to its readers). It is rejected as a conflict instead; the message does not say
    whose the session is.
    """
    event = item.event
    owner = (event.clinic_id, event.patient_id)
    named = sessions_named(event)
    clashes = [(session, path) for session, path in named if owners.get(session, owner) != owner]
    if clashes:
        plan.rejections.append(_session_conflict(item, clashes))
        return False
    for session, _ in named:
        if session not in owners:
            owners[session] = owner
            plan.new_owners.append(
                {"session_id": session, "clinic_id": owner[0], "patient_id": owner[1]}
            )
    return True


def sessions_named(event: SessionEvent) -> list[tuple[str, str]]:
    """(session id, field path) of every session the event says it belongs to."""
    named = []
    if event.session_id is not None:
        named.append((event.session_id, "session_id"))
    if isinstance(event, IntegrationNoteRecorded):
        named.append((event.payload.integrates_session_id, "payload.integrates_session_id"))
    return named


def _chain(
    item: ValidEvent, *, heads: dict[str, ChainLink], recorded_at: datetime
) -> tuple[dict[str, Any], bytes]:
    """The row to insert and its Merkle leaf hash (over the same record bytes)."""
    event = item.event
    stream = stream_id(event)
    head = heads.get(stream, ChainLink(sequence=0, hash=GENESIS_HASH))
    sequence = head.sequence + 1
    record = record_bytes(
        event_json=item.canonical_json,
        stream_id=stream,
        sequence=sequence,
        recorded_at=recorded_at,
    )
    digest = chain_hash(prev_hash=head.hash, record=record)
    heads[stream] = ChainLink(sequence=sequence, hash=digest)
    coordinates = item.coordinates
    return {
        "event_id": str(event.event_id),
        "stream_id": stream,
        "sequence": sequence,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "clinic_id": event.clinic_id,
        "patient_id": event.patient_id,
        "session_id": event.session_id,
        "occurred_at": event.occurred_at,
        "recorded_at": recorded_at,
        "event_json": item.canonical_json,
        "prev_hash": head.hash,
        "hash": digest,
        "kafka_topic": coordinates.topic if coordinates else None,
        "kafka_partition": coordinates.partition if coordinates else None,
        "kafka_offset": coordinates.offset if coordinates else None,
    }, leaf_hash(record)


def _session_conflict(item: ValidEvent, clashes: list[tuple[str, str]]) -> Rejection:
    return _rejected(
        item,
        RejectionReason.CONFLICT,
        *(
            FieldError(
                path=path,
                message=f"session {session!r} is already recorded for another clinic or "
                "patient; a session id names one patient's session at one clinic",
            )
            for session, path in clashes
        ),
    )


def _rejected(item: ValidEvent, reason: RejectionReason, *errors: FieldError) -> Rejection:
    if item.coordinates is None:
        raise ValueError(f"an event rejected as {reason.value} needs its Kafka coordinates")
    return Rejection(
        raw=item.canonical_json.encode("utf-8"),
        key=None,
        reason=reason,
        errors=errors,
        coordinates=item.coordinates,
        event_id=str(item.event.event_id),
    )


def _conflict(item: ValidEvent) -> Rejection:
    return _rejected(
        item,
        RejectionReason.CONFLICT,
        FieldError(
            path="event_id",
            message=f"{item.event.event_id} was already recorded with different content; "
            "the first version stands (send record.amended to correct it)",
        ),
    )


def unstorable(item: ValidEvent, refused: BaseException) -> Rejection:
    """The rejection of an event the database refuses whatever the retry; re-raises
    ``refused`` for an event with no Kafka offset to keep the rejection under."""
    if item.coordinates is None:
        raise refused
    return _rejected(
        item,
        RejectionReason.UNSTORABLE,
        FieldError(
            path="(root)",
            message=f"the database refused this event: {str(refused).splitlines()[0]}",
        ),
    )
