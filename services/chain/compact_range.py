"""The incremental state of a Merkle tree: the roots of its perfect subtrees.

A tree of ``size`` leaves is the run of perfect subtrees given by the set bits
of ``size``, largest first (transparency-dev calls this a compact range over
``[0, size)``). Keeping only those at most 64 hashes, the recorder can append a
leaf in O(log n) and sign a root at any moment without rereading the log, and
can store the state between appends as a few hundred bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.chain.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeId,
    NodeSource,
    node_hash,
    perfect_cover,
)

__all__ = ["CompactRange", "NodeVisitor"]

NodeVisitor = Callable[[NodeId, bytes], None]
"""Told of every perfect subtree an append completes, the leaf itself included."""

_SIZE_BYTES = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactRange:
    """The perfect-subtree roots of the tree of the first ``size`` leaves, largest first."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.size < 1 << (8 * _SIZE_BYTES):
            raise ValueError(f"tree size {self.size} is out of range")
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a tree of size {self.size} has {self.size.bit_count()} perfect subtrees, "
                f"not {len(self.hashes)}"
            )
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise ValueError(f"every subtree hash must be {HASH_SIZE} bytes")

    @classmethod
    def from_nodes(cls, *, size: int, nodes: NodeSource) -> CompactRange:
        """The state at ``size`` read from stored subtree hashes, e.g. to rebuild after a loss."""
        return cls(size=size, hashes=tuple(nodes(n.level, n.index) for n in perfect_cover(0, size)))

    def node_ids(self) -> tuple[NodeId, ...]:
        """Which perfect subtree each of ``hashes`` is the root of."""
        return perfect_cover(0, self.size)

    def root(self) -> bytes:
        """The Merkle tree hash of the tree, as RFC 6962 defines it."""
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            acc = node_hash(left, acc)
        return acc

    def append(self, leaf_hash: bytes, *, visit: NodeVisitor | None = None) -> CompactRange:
        """The state after one more leaf; ``visit`` sees every subtree this completes.

        A store of subtree hashes (the ``NodeSource`` behind proofs) stays
        complete by saving what ``visit`` is told.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        hashes = list(self.hashes)
        index, level, acc = self.size, 0, bytes(leaf_hash)
        if visit is not None:
            visit(NodeId(0, index), acc)
        # Each trailing set bit of the old size is a subtree of the same height as
        # the one being built, sitting to its left: merge them like a binary carry.
        while (self.size >> level) & 1:
            acc = node_hash(hashes.pop(), acc)
            level += 1
            if visit is not None:
                visit(NodeId(level, index >> level), acc)
        hashes.append(acc)
        return CompactRange(size=self.size + 1, hashes=tuple(hashes))

    def extend(
        self, leaf_hashes: Iterable[bytes], *, visit: NodeVisitor | None = None
    ) -> CompactRange:
        """The state after appending every leaf hash in order."""
        state = self
        for h in leaf_hashes:
            state = state.append(h, visit=visit)
        return state

    def to_bytes(self) -> bytes:
        """``size`` as 8 bytes big-endian, then the subtree hashes largest first."""
        return self.size.to_bytes(_SIZE_BYTES, "big") + b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        if len(data) < _SIZE_BYTES:
            raise ValueError("a compact range needs at least its 8-byte size")
        size = int.from_bytes(data[:_SIZE_BYTES], "big")
        body = data[_SIZE_BYTES:]
        if len(body) != HASH_SIZE * size.bit_count():
            raise ValueError(f"a compact range of size {size} has the wrong number of hash bytes")
        hashes = tuple(body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE))
        return cls(size=size, hashes=hashes)

    def to_json(self) -> str:
        """``{"size": n, "hashes": [hex, ...]}``, hex like the log's chain hashes."""
        return json.dumps(
            {"size": self.size, "hashes": [h.hex() for h in self.hashes]}, separators=(",", ":")
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CompactRange:
        try:
            value = json.loads(text)
            size, hashes = value["size"], value["hashes"]
            if type(size) is not int or not isinstance(hashes, list):
                raise TypeError
            decoded = tuple(bytes.fromhex(h) for h in hashes)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not a compact range in JSON: {exc!s}") from exc
        return cls(size=size, hashes=decoded)
