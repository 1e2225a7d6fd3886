"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

A regulator who holds a signed tree head can check that an entry is in the log
(inclusion) and that a later tree extends an earlier one (consistency), so a
truncated or rewritten log is detectable by anyone, not only by us. Pure
standard-library code: an offline verifier imports this module as it is.

Nodes are named by ``NodeId(level, index)``: the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 is the leaf hashes.
Every proof hash is the Merkle tree hash (MTH) of a run of such perfect
subtrees, so proofs are *planned* as node ids first and *assembled* from
hashes second. That split lets a store of subtree hashes answer all of a
proof's lookups in one query, then call the pure assembly here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodes",
    "NodeId",
    "NodeSource",
    "ProofError",
    "ProofPlan",
    "assemble_proof",
    "consistency_plan",
    "consistency_proof",
    "inclusion_plan",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_cover",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The MTH of the empty tree: SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A proof does not prove what it claims, or its parameters are impossible."""


@dataclass(frozen=True, slots=True, order=True)
class NodeId:
    """The perfect subtree over leaves ``[index << level, (index + 1) << level)``."""

    level: int
    index: int


ProofPlan: TypeAlias = tuple[tuple[NodeId, ...], ...]
"""One entry per proof hash: the perfect subtrees, left to right, whose MTH it is."""


class NodeSource(Protocol):
    """Returns the hash of the perfect subtree ``NodeId(level, index)``."""

    def __call__(self, level: int, index: int, /) -> bytes: ...


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the prefix keeps a leaf from passing for a node."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class MemoryNodes:
    """Every perfect subtree hash of a list of leaf hashes, kept in memory.

    The reference ``NodeSource`` for small trees and tests; a large log stores
    the same ``(level, index) -> hash`` table in its database instead.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        level = [_checked(h, "leaf hash") for h in leaf_hashes]
        self._levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def __call__(self, level: int, index: int, /) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise LookupError(f"no perfect subtree at level {level}, index {index}")
        row = self._levels[level]
        if index >= len(row):
            raise LookupError(f"no perfect subtree at level {level}, index {index}")
        return row[index]


def perfect_cover(start: int, end: int) -> tuple[NodeId, ...]:
    """The perfect subtrees, largest first, that RFC 6962 combines into ``MTH(D[start:end])``.

    Valid for the ranges that occur in RFC 6962 trees: the whole tree
    ``[0, n)`` and every subtree its recursion visits, whose start is a multiple
    of the smallest power of two not less than its size.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    cover: list[NodeId] = []
    size = end - start
    while size:
        level = size.bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 6962 tree")
        cover.append(NodeId(level, start >> level))
        start += 1 << level
        size -= 1 << level
    return tuple(cover)


def _fold(hashes: Sequence[bytes]) -> bytes:
    # Perfect subtrees largest first combine right to left: the RFC 6962 split
    # puts the largest power of two on the left and recurses into the rest.
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def assemble_proof(plan: ProofPlan, nodes: NodeSource) -> list[bytes]:
    """Turn a proof plan into proof hashes by looking up each node in ``nodes``."""
    return [_fold([_checked(nodes(n.level, n.index), "node hash") for n in step]) for step in plan]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the tree whose leaves have these hashes."""
    nodes = MemoryNodes(leaf_hashes)
    return _fold([nodes(n.level, n.index) for n in perfect_cover(0, nodes.size)])


def _split(size: int) -> int:
    # RFC 6962 §2.1: k is the largest power of two smaller than n (n > 1).
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """The nodes of the RFC 6962 §2.1.1 audit path for leaf ``index`` in a tree of ``size``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    steps: list[tuple[NodeId, ...]] = []
    start, end = 0, size
    # Walk down from the root; the sibling of each subtree on the way is a proof
    # hash, and proofs list them from the leaf upwards.
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            steps.append(perfect_cover(mid, end))
            end = mid
        else:
            steps.append(perfect_cover(start, mid))
            start = mid
    return tuple(reversed(steps))


def consistency_plan(old_size: int, new_size: int) -> ProofPlan:
    """The nodes of the RFC 6962 §2.1.2 consistency proof from ``old_size`` to ``new_size``."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return ()
    steps: list[tuple[NodeId, ...]] = []
    start, end = 0, new_size
    whole_old_tree = True  # the b flag of SUBPROOF: still on the old tree's root path
    while True:
        size = end - start
        m = old_size - start
        if m == size:
            if not whole_old_tree:
                steps.append(perfect_cover(start, end))
            break
        mid = start + _split(size)
        if old_size <= mid:
            steps.append(perfect_cover(mid, end))
            end = mid
        else:
            steps.append(perfect_cover(start, mid))
            start = mid
            whole_old_tree = False
    return tuple(reversed(steps))


def inclusion_proof(index: int, size: int, nodes: NodeSource | Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves.

    ``nodes`` is a ``NodeSource`` or, for small trees, the leaf hashes themselves.
    """
    return assemble_proof(inclusion_plan(index, size), _source(nodes))


def consistency_proof(
    old_size: int, new_size: int, nodes: NodeSource | Sequence[bytes]
) -> list[bytes]:
    """The proof that the tree of ``new_size`` leaves extends the tree of ``old_size``."""
    return assemble_proof(consistency_plan(old_size, new_size), _source(nodes))


def _source(nodes: NodeSource | Sequence[bytes]) -> NodeSource:
    return nodes if callable(nodes) else MemoryNodes(nodes)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an audit path by RFC 9162 §2.1.3.2; raise ``ProofError`` unless it proves inclusion."""
    _checked(leaf_hash, "leaf hash", error=ProofError)
    _checked(root, "root hash", error=ProofError)
    for h in proof:
        _checked(h, "proof hash", error=ProofError)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with this root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof by RFC 9162 §2.1.4.2; raise ``ProofError`` unless it holds.

    Trees of equal size are consistent only with equal roots and an empty
    proof. The empty tree is a prefix of every tree, so from size 0 the proof is
    empty and only the old root is checked (it must be ``EMPTY_ROOT``).
    """
    _checked(old_root, "old root hash", error=ProofError)
    _checked(new_root, "new root hash", error=ProofError)
    for h in proof:
        _checked(h, "proof hash", error=ProofError)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of size {new_size} cannot extend one of size {old_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError(f"two different roots for the tree of size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise ProofError("the old root is not the root of the empty tree")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # A power-of-two old tree is a node of the new tree; the proof omits it.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError(f"the proof does not reproduce the old root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"the proof does not reproduce the new root of size {new_size}")


def _checked(value: bytes, what: str, *, error: type[ValueError] = ValueError) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise error(f"a {what} must be {HASH_SIZE} bytes")
    return bytes(value)
