"""Inclusion and consistency proofs of the log, each paired with the checkpoint it proves
against. A proof holds hashes, indexes and sizes only: never another event's content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.checkpointing import CheckpointArchive, StoredCheckpoint

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "LeafNotFoundError",
    "LogProofs",
    "ProofTree",
    "ProofUnavailableError",
]


class LeafNotFoundError(LookupError):
    """No leaf for this event, or not within the tree size asked about."""


class ProofTree(Protocol):
    """The log's Merkle tree as proofs read it (one leaf per log entry, in log order)."""

    async def leaf(self, event_id: str) -> tuple[int, str, bytes]:
        """The leaf index of ``event_id``, its clinic and its leaf hash;
        ``LeafNotFoundError`` if it is not in the log."""
        ...

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves;
        ``LeafNotFoundError`` if the tree has fewer."""
        ...

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof that the tree of ``new_size`` leaves extends the one of ``old_size``;
        ``LeafNotFoundError`` if the tree has fewer than ``new_size``."""
        ...


class ProofUnavailableError(LookupError):
    """No such event, no such checkpoint, or sizes the log cannot prove; says which."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusionProof:
    event_id: str
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    checkpoint: str
    """The signed note of the tree of ``tree_size`` leaves."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    hashes: list[bytes]
    old_checkpoint: str | None
    new_checkpoint: str | None
    """The signed notes of those sizes, when one was written."""


class LogProofs:
    """Proofs from the stored Merkle tree, each paired with the checkpoint it proves against."""

    def __init__(self, *, tree: ProofTree, checkpoints: CheckpointArchive) -> None:
        self._tree = tree
        self._checkpoints = checkpoints

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        return await self._checkpoints.latest()

    async def inclusion(
        self,
        event_id: str,
        *,
        size: int | None = None,
        may_see: Callable[[str], bool] = lambda clinic_id: True,
    ) -> InclusionProof:
        """Proof that ``event_id`` is in the checkpoint of ``size`` (default the newest).

        An event of a clinic ``may_see`` refuses is reported exactly as a missing one,
        before anything else is looked at, so ids cannot be probed.
        """
        try:
            index, clinic_id, leaf_hash = await self._tree.leaf(event_id)
        except LeafNotFoundError:
            clinic_id = None
        if clinic_id is None or not may_see(clinic_id):
            raise ProofUnavailableError(f"no event {event_id} in the log")
        checkpoint = (
            await self._checkpoints.latest()
            if size is None
            else await self._checkpoints.of_size(size)
        )
        if checkpoint is None:
            raise ProofUnavailableError(
                "no checkpoint yet" if size is None else f"no checkpoint of size {size}"
            )
        if index >= checkpoint.size:
            raise ProofUnavailableError(
                f"event {event_id} is entry {index}, after the checkpoint of size "
                f"{checkpoint.size}: wait for the next checkpoint"
            )
        return InclusionProof(
            event_id=event_id,
            leaf_index=index,
            tree_size=checkpoint.size,
            leaf_hash=leaf_hash,
            hashes=await self._tree.inclusion_proof(index, checkpoint.size),
            checkpoint=checkpoint.note_text,
        )

    async def consistency(self, old_size: int, new_size: int) -> ConsistencyProof:
        """Proof that the tree of ``new_size`` leaves extends the one of ``old_size``."""
        if not 0 <= old_size <= new_size:
            raise ProofUnavailableError(f"no proof from size {old_size} to size {new_size}")
        try:
            hashes = await self._tree.consistency_proof(old_size, new_size)
        except LeafNotFoundError:
            raise ProofUnavailableError(f"the log has fewer than {new_size} entries") from None
        old = await self._checkpoints.of_size(old_size)
        new = await self._checkpoints.of_size(new_size)
        return ConsistencyProof(
            old_size=old_size,
            new_size=new_size,
            hashes=hashes,
            old_checkpoint=None if old is None else old.note_text,
            new_checkpoint=None if new is None else new.note_text,
        )
