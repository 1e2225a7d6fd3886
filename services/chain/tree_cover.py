"""A batch inclusion proof: many leaves and the subtrees between them rebuild one root.

Proving n entries one by one costs ``n·log N`` hashes to check and to ship. An export's
entries come in runs (whole streams), so the bundle instead lists, in leaf order, the
exported leaves and the largest subtrees that hold none of them (``docs/EXPORT-FORMAT.md``,
``tree.jsonl``). The root is then rebuilt with the RFC 6962 recursion at one hash per item,
and a leaf that is missing, added or moved changes it. Pure code: the offline verifier
imports it as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from services.chain.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, node_hash

__all__ = ["CoverGap", "CoverLeaf", "plan_cover", "root_from_cover"]


@dataclass(frozen=True, slots=True)
class CoverLeaf:
    """An exported entry's leaf; its hash comes from the entry's record."""

    index: int


@dataclass(frozen=True, slots=True)
class CoverGap:
    """Leaves ``[start, end)``, none exported, given by their Merkle tree hash."""

    start: int
    end: int


def _split(size: int) -> int:
    # RFC 6962 §2.1: the largest power of two smaller than size (size > 1).
    return 1 << ((size - 1).bit_length() - 1)


def plan_cover(size: int, indices: Iterable[int]) -> Iterator[CoverLeaf | CoverGap]:
    """The items of the tree of ``size`` leaves that cover it, given the exported leaves.

    ``indices`` must ascend strictly and stay below ``size``; it is read lazily, so a
    million indices stream through without a list. Every gap is the largest subtree of
    the RFC 6962 recursion that holds no exported leaf.
    """
    pending = iter(indices)
    following: int | None = next(pending, None)
    stack = [(0, size)] if size else []
    previous = -1
    while stack:
        start, end = stack.pop()
        if following is not None and following <= previous:
            raise ValueError(f"leaf indices must ascend: {following} after {previous}")
        if following is None or following >= end:
            yield CoverGap(start, end)
        elif end - start == 1:
            yield CoverLeaf(start)
            previous, following = following, next(pending, None)
        else:
            middle = start + _split(end - start)
            stack.append((middle, end))
            stack.append((start, middle))
    if following is not None:
        raise ValueError(f"leaf index {following} is outside a tree of {size} leaves")


def root_from_cover(
    size: int,
    items: Iterable[tuple[int, int, bytes]],
    *,
    on_extra: Callable[[int, int], None] | None = None,
) -> bytes:
    """Rebuild the root of a tree of ``size`` leaves from ``(start, end, hash)`` items.

    Items come in leaf order: a leaf is ``(i, i + 1, leaf hash)``, a gap its range and
    subtree hash. Raises ``ProofError`` naming the first leaf range the items do not
    cover as RFC 6962 splits it; items left over after the root go to ``on_extra``
    (or raise).
    """
    pending = iter(items)
    current = next(pending, None)

    def mth(start: int, end: int) -> bytes:
        nonlocal current
        if current is not None and current[0] == start and current[1] == end:
            digest = current[2]
            if len(digest) != HASH_SIZE:
                raise ProofError(f"the hash of leaves [{start}, {end}) is not {HASH_SIZE} bytes")
            current = next(pending, None)
            return digest
        if end - start == 1:
            given = "nothing" if current is None else f"[{current[0]}, {current[1]})"
            raise ProofError(f"leaf {start} is not covered: the next item is {given}")
        middle = start + _split(end - start)
        return node_hash(mth(start, middle), mth(middle, end))

    result = EMPTY_ROOT if size == 0 else mth(0, size)
    while current is not None:
        if on_extra is None:
            raise ProofError(f"[{current[0]}, {current[1]}) lies outside a tree of {size} leaves")
        on_extra(current[0], current[1])
        current = next(pending, None)
    return result
