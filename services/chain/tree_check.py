"""Check the log's rows against a signed checkpoint and the stored Merkle tree; pure.

The chains cannot see a stream's last events deleted, nor a stream re-hashed from an
edited event onward: every remaining link still checks. The Merkle tree over the whole
log can: a checkpoint signed before the edit fixes how many leaves there were and
what their root was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.chain.checkpoint import Checkpoint
from services.chain.compact_range import CompactRange
from services.chain.merkle import EMPTY_ROOT

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
    """Fed every row's leaf hash in log order, then asked what disagrees.

    Besides the newest checkpoint in the database, a caller may hold copies kept
    elsewhere (an earlier export, the checkpoint topic): someone who controls the
    database can delete its checkpoints along with the entries, but not those copies.
    """

    def __init__(
        self,
        *,
        checkpoint: Checkpoint | None = None,
        others: Sequence[tuple[str, Checkpoint]] = (),
    ) -> None:
        named = [] if checkpoint is None else [("the checkpoint", checkpoint)]
        self._checkpoints = [*named, *others]
        self._state = CompactRange()
        self._roots: dict[int, bytes] = {
            c.size: EMPTY_ROOT for _, c in self._checkpoints if c.size == 0
        }
        self._sizes = {c.size for _, c in self._checkpoints}

    @property
    def size(self) -> int:
        return self._state.size

    def see(self, leaf_hash: bytes) -> None:
        self._state = self._state.append(leaf_hash)
        if self._state.size in self._sizes:
            self._roots[self._state.size] = self._state.root()

    def findings(self, *, stored: CompactRange | None = None) -> list[TreeFinding]:
        found = [
            finding
            for name, checkpoint in self._checkpoints
            if (finding := self._against(name, checkpoint)) is not None
        ]
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

    def _against(self, name: str, checkpoint: Checkpoint) -> TreeFinding | None:
        if self._state.size < checkpoint.size:
            return TreeFinding(
                problem=TreeProblem.TRUNCATED,
                detail=f"the log holds {self._state.size} entries, "
                f"{checkpoint.size - self._state.size} fewer than {name} of "
                f"size {checkpoint.size} signed: entries were removed",
            )
        if self._roots.get(checkpoint.size) != checkpoint.root_hash:
            return TreeFinding(
                problem=TreeProblem.REWRITTEN,
                detail=f"the first {checkpoint.size} entries no longer hash to the "
                f"root of {name} of size {checkpoint.size}: an entry was "
                "changed, removed or inserted",
            )
        return None
