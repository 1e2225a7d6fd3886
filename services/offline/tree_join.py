"""``tree.jsonl`` joined with the entries: the root the bundle's leaves and gaps rebuild.

Each ``{"leaf": i}`` line takes the leaf hash of the entry with index ``i`` as the
merged entry files deliver it; each gap line gives its own hash; ``root_from_cover``
folds them as they come. Entries out of order are held back in a small window, so that
lines swapped in a file are reported as reordered and still fold into the right root;
a leaf with no entry takes a hash no record has, which fails the root.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from services.chain.merkle import HASH_SIZE, ProofError
from services.chain.tree_cover import root_from_cover
from services.offline.bundle_format import TREE_FILE
from services.offline.entry_check import CheckedEntry
from services.offline.findings import NO_EVENT, Code, Finding

__all__ = ["TreeJoin"]

_WINDOW: Final = 1024
"""How far ahead of a leaf its entry is looked for before it counts as missing."""
_NO_RECORD: Final = b"\xff" * HASH_SIZE
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_LEAF_LINE: Final = re.compile(rb'\{"leaf":(0|[1-9][0-9]*)\}')


class _UnreadableLineError(Exception):
    """A line of ``tree.jsonl`` that is not a leaf or a gap: the fold cannot go on."""


class TreeJoin:
    """Rebuild the root; report leaves without entries and entries without leaves."""

    def __init__(
        self,
        *,
        tree_lines: Iterable[bytes],
        entries: Iterable[CheckedEntry],
        emit: Callable[[Finding], None],
    ) -> None:
        self._lines = tree_lines
        self._entries = iter(entries)
        self._emit = emit
        self._early: dict[int, CheckedEntry] = {}
        self._matched = -1
        self.leaves = 0
        self.gaps = 0

    def root(self, size: int) -> bytes | None:
        """The rebuilt root, or ``None`` (reported) when the lines do not cover the tree."""
        try:
            return root_from_cover(size, self._items(), on_extra=self._extra)
        except ProofError as error:
            self._tree_finding(f"the proof does not cover the checkpoint's tree: {error}")
        except _UnreadableLineError as error:
            self._tree_finding(str(error), code=Code.MALFORMED)
        return None

    def finish(self, *, report_unplaced: bool) -> None:
        """Read the entries no leaf line took, reporting them unless the fold broke off
        (then every later entry would be reported, which says nothing more)."""
        early = sorted(self._early.values(), key=lambda p: p.index)
        self._early.clear()
        for placed in itertools.chain(early, self._entries):
            if report_unplaced:
                self._unplaced(placed)

    def _items(self) -> Iterator[tuple[int, int, bytes]]:
        leaf_line = _LEAF_LINE.fullmatch
        for number, line in enumerate(self._lines, 1):
            # Most lines are leaves: read them without a JSON parse.
            match = leaf_line(line)
            if match is not None:
                index = int(match[1])
                self.leaves += 1
                yield index, index + 1, self._leaf_hash(index)
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise _UnreadableLineError(f"line {number} is not JSON") from None
            if type(value) is dict and value.keys() == {"leaf"} and _natural(value["leaf"]):
                index = value["leaf"]
                self.leaves += 1
                yield index, index + 1, self._leaf_hash(index)
            elif (
                type(value) is dict
                and value.keys() == {"from", "hash", "to"}
                and _natural(value["from"])
                and _natural(value["to"])
                and type(value["hash"]) is str
                and _HEX64.fullmatch(value["hash"])
            ):
                self.gaps += 1
                yield value["from"], value["to"], bytes.fromhex(value["hash"])
            else:
                raise _UnreadableLineError(f'line {number} is neither {{"leaf":i}} nor a gap')

    def _leaf_hash(self, index: int) -> bytes:
        early = self._early.pop(index, None)
        if early is not None:
            return self._matched_leaf(early)
        looked = 0
        while looked <= _WINDOW:
            placed = next(self._entries, None)
            if placed is None:
                break
            found = placed.index
            if found == index:
                return self._matched_leaf(placed)
            if found < index:
                self._unplaced(placed)
                continue
            if found in self._early:
                continue  # a second entry with this index: reported as duplicated already
            self._early[found] = placed
            looked += 1
        self._tree_finding(
            f"leaf {index} has no entry in events.jsonl or access.jsonl", code=Code.EVENT_MISSING
        )
        return _NO_RECORD

    def _matched_leaf(self, placed: CheckedEntry) -> bytes:
        self._matched = placed.index
        return placed.leaf_hash

    def _unplaced(self, placed: CheckedEntry) -> None:
        if placed.index == self._matched:
            return  # the same index twice: reported as duplicated already
        self._emit(
            Finding(
                file=placed.file,
                event_id=placed.event_id,
                code=Code.EVENT_ADDED,
                message=f"index {placed.index} is not a leaf in {TREE_FILE} at its place",
            )
        )

    def _extra(self, start: int, end: int) -> None:
        self._tree_finding(f"[{start}, {end}) lies outside the checkpoint's tree")

    def _tree_finding(self, message: str, *, code: Code = Code.NOT_IN_CHECKPOINT) -> None:
        self._emit(Finding(file=TREE_FILE, event_id=NO_EVENT, code=code, message=message))


def _natural(value: object) -> bool:
    return type(value) is int and value >= 0
