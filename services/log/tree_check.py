"""Check the log's rows against a signed checkpoint and the stored Merkle tree; pure.

The chains cannot see a stream's last events deleted, nor a stream re-hashed from an
edited event onward: every remaining link still checks. The Merkle tree over the whole
log can: a checkpoint signed before the edit fixes how many leaves there were and
what their root was.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.log.checkpoint import Checkpoint
from services.log.compact_range import CompactRange
from services.log.merkle import EMPTY_ROOT

__all__ = ["TreeCheck", "TreeFinding", "TreeProblem"]


class TreeProblem(StrEnum):
    """What disagrees with a checkpoint or with the stored tree."""

    TRUNCATED = "truncated"
    """The log has fewer entries than the checkpoint's tree size."""
    REWRITTEN = "rewritten"
    """The first ``size`` entries no longer hash to the checkpoint's root."""
    UNTRUSTED = "untrusted"
    """The newest checkpoint is not signed by a trusted key, or names another log."""
    TREE_MISMATCH = "tree_mismatch"
    """The stored Merkle tree (what proofs are served from) differs from the rows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeFinding:
    problem: TreeProblem
    detail: str


class TreeCheck:
    """Fed every row's leaf hash in log order, then asked what disagrees."""

    def __init__(self, *, checkpoint: Checkpoint | None) -> None:
        self._checkpoint = checkpoint
        self._state = CompactRange()
        self._root_at_checkpoint: bytes | None = (
            EMPTY_ROOT if checkpoint is not None and checkpoint.size == 0 else None
        )

    @property
    def size(self) -> int:
        return self._state.size

    def see(self, leaf_hash: bytes) -> None:
        self._state = self._state.append(leaf_hash)
        if self._checkpoint is not None and self._state.size == self._checkpoint.size:
            self._root_at_checkpoint = self._state.root()

    def findings(self, *, stored: CompactRange | None = None) -> list[TreeFinding]:
        found: list[TreeFinding] = []
        checkpoint = self._checkpoint
        if checkpoint is not None:
            if self._state.size < checkpoint.size:
                found.append(
                    TreeFinding(
                        problem=TreeProblem.TRUNCATED,
                        detail=f"the log holds {self._state.size} entries, "
                        f"{checkpoint.size - self._state.size} fewer than the checkpoint of "
                        f"size {checkpoint.size} signed: entries were removed",
                    )
                )
            elif self._root_at_checkpoint != checkpoint.root_hash:
                found.append(
                    TreeFinding(
                        problem=TreeProblem.REWRITTEN,
                        detail=f"the first {checkpoint.size} entries no longer hash to the "
                        f"root of the checkpoint of size {checkpoint.size}: an entry was "
                        "changed, removed or inserted",
                    )
                )
        if stored is not None and (stored.size, stored.root()) != (
            self._state.size,
            self._state.root(),
        ):
            found.append(
                TreeFinding(
                    problem=TreeProblem.TREE_MISMATCH,
                    detail=f"the stored Merkle tree ({stored.size} leaves) differs from the "
                    f"tree of the log's {self._state.size} entries",
                )
            )
        return found
