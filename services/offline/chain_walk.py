"""Every exported stream's hash chain, followed one entry at a time in file order.

Streams are exported whole, so each must run from sequence 1 (linked to the genesis
hash) to its head in ``heads.jsonl``, every ``prev_hash`` the hash before it. Only each
stream's last link is kept, plus the holes left by entries that are missing so far: a
hole filled later is an entry out of order (reported as reordered, and its links are
still checked), a hole never filled is an entry missing. Memory is per stream, not per
entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from services.chain.links import GENESIS_HASH, ChainLink
from services.offline.bundle_format import HEADS_FILE
from services.offline.findings import NO_EVENT, Code, Finding

__all__ = ["ChainWalk"]

_Found = Callable[[Code, str], Finding]

_MAX_HOLE: Final = 4096
"""A jump in sequence wider than this is reported at once instead of remembered."""


@dataclass(slots=True, kw_only=True)
class _Hole:
    """A sequence not seen yet: what its neighbours say its links must be."""

    prev_hash: str | None
    """The hash of the entry before it, when that entry has been seen."""
    next_prev_hash: str | None
    """The ``prev_hash`` of the entry after it, when that entry has been seen."""
    next_event_id: str


@dataclass(slots=True, kw_only=True)
class _Stream:
    file: str
    sequence: int
    hash: str
    event_id: str
    holes: dict[int, _Hole] = field(default_factory=dict)


class ChainWalk:
    """Feed entries with ``add``; ``finish`` compares every stream with its head."""

    def __init__(self, *, heads: Mapping[str, ChainLink]) -> None:
        self._heads = heads
        self._streams: dict[str, _Stream] = {}

    @property
    def streams(self) -> int:
        return len(self._streams)

    def add(
        self,
        *,
        file: str,
        stream_id: str,
        sequence: int,
        prev_hash: str,
        hash: str,
        event_id: str,
    ) -> Iterator[Finding]:
        """Check the entry's place in its stream; the findings name this entry."""
        stream = self._streams.get(stream_id)
        head = self._heads.get(stream_id)

        def found(code: Code, message: str) -> Finding:
            return Finding(file=file, event_id=event_id, code=code, message=message)

        if head is None and stream is None:
            yield found(Code.EVENT_ADDED, f"stream {stream_id} is not in heads.jsonl")
        elif head is not None and sequence > head.sequence:
            yield found(
                Code.EVENT_ADDED,
                f"{stream_id} #{sequence} lies past the stream's head at the checkpoint "
                f"(#{head.sequence} in heads.jsonl)",
            )
        if stream is None:
            stream = _Stream(file=file, sequence=0, hash=GENESIS_HASH, event_id=NO_EVENT)
            self._streams[stream_id] = stream
        last = stream.sequence
        if sequence == last + 1:
            if prev_hash != stream.hash:
                yield found(Code.CHAIN_BROKEN, _link_message(stream_id, sequence, last))
        elif sequence > last + 1:
            yield from self._open_hole(stream, stream_id, sequence, prev_hash, event_id, found)
        else:
            hole = stream.holes.pop(sequence, None)
            if hole is None:
                yield found(Code.EVENT_DUPLICATED, f"{stream_id} #{sequence} appears again")
            else:
                yield found(
                    Code.EVENT_REORDERED, f"{stream_id} #{sequence} comes after #{stream.sequence}"
                )
                yield from _fill(stream, stream_id, sequence, prev_hash, hash, hole, found)
            return
        stream.sequence, stream.hash, stream.event_id = sequence, hash, event_id

    def _open_hole(
        self,
        stream: _Stream,
        stream_id: str,
        sequence: int,
        prev_hash: str,
        event_id: str,
        found: _Found,
    ) -> Iterator[Finding]:
        last = stream.sequence
        if sequence - last - 1 > _MAX_HOLE:
            yield found(
                Code.EVENT_MISSING, f"{stream_id} #{last + 1} to #{sequence - 1} are missing"
            )
            return
        for missing in range(last + 1, sequence):
            stream.holes[missing] = _Hole(
                prev_hash=stream.hash if missing == last + 1 else None,
                next_prev_hash=prev_hash if missing == sequence - 1 else None,
                next_event_id=event_id,
            )

    def finish(self) -> Iterator[Finding]:
        """Holes never filled, and streams that do not end at their head."""
        for stream_id, stream in self._streams.items():
            for first, last, event_id in _runs(stream.holes):
                which = f"#{first}" if first == last else f"#{first} to #{last}"
                yield Finding(
                    file=stream.file,
                    event_id=event_id,
                    code=Code.EVENT_MISSING,
                    message=f"{stream_id} {which} missing before this entry",
                )
        for stream_id, head in self._heads.items():
            reached = self._streams.get(stream_id)
            if reached is None:
                yield Finding(
                    file=HEADS_FILE,
                    event_id=NO_EVENT,
                    code=Code.EVENT_MISSING,
                    message=f"stream {stream_id} (head #{head.sequence}) has no entries",
                )
            elif reached.sequence < head.sequence:
                yield Finding(
                    file=reached.file,
                    event_id=reached.event_id,
                    code=Code.EVENT_MISSING,
                    message=f"{stream_id} ends at #{reached.sequence}; its head at the "
                    f"checkpoint is #{head.sequence}",
                )
            elif reached.sequence == head.sequence and reached.hash != head.hash:
                yield Finding(
                    file=reached.file,
                    event_id=reached.event_id,
                    code=Code.CHAIN_BROKEN,
                    message=f"{stream_id} #{head.sequence} is not the head in heads.jsonl "
                    "(another hash)",
                )


def _fill(
    stream: _Stream,
    stream_id: str,
    sequence: int,
    prev_hash: str,
    hash: str,
    hole: _Hole,
    found: _Found,
) -> Iterator[Finding]:
    """A late entry: check it against its neighbours and tell the neighbouring holes."""
    if hole.prev_hash is not None and prev_hash != hole.prev_hash:
        yield found(Code.CHAIN_BROKEN, _link_message(stream_id, sequence, sequence - 1))
    if hole.next_prev_hash is not None and hash != hole.next_prev_hash:
        yield found(Code.CHAIN_BROKEN, f"{stream_id} #{sequence + 1} does not link to this entry")
    after = stream.holes.get(sequence + 1)
    if after is not None:
        after.prev_hash = hash
    before = stream.holes.get(sequence - 1)
    if before is not None:
        before.next_prev_hash = prev_hash


def _link_message(stream_id: str, sequence: int, previous: int) -> str:
    if previous == 0:
        return f"{stream_id} #{sequence}: prev_hash is not the genesis hash"
    return f"{stream_id} #{sequence}: prev_hash is not the hash of #{previous}"


def _runs(holes: dict[int, _Hole]) -> Iterator[tuple[int, int, str]]:
    """Consecutive missing sequences as ``(first, last, event after them)``."""
    run: list[int] = []
    for sequence in sorted(holes):
        if run and sequence != run[-1] + 1:
            yield run[0], run[-1], holes[run[-1]].next_event_id
            run = []
        run.append(sequence)
    if run:
        yield run[0], run[-1], holes[run[-1]].next_event_id
