"""A batch inclusion proof rebuilds the same root as the whole tree, and nothing else does."""

from __future__ import annotations

import hashlib
import random

import pytest

from services.chain.merkle import MemoryNodes, ProofError, leaf_hash, node_hash, perfect_cover, root
from services.chain.tree_cover import CoverGap, CoverLeaf, plan_cover, root_from_cover


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(size)]


def _range_hash(nodes: MemoryNodes, start: int, end: int) -> bytes:
    hashes = [nodes(n.level, n.index) for n in perfect_cover(start, end)]
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def _items(leaves: list[bytes], exported: list[int]) -> list[tuple[int, int, bytes]]:
    nodes = MemoryNodes(leaves)
    items = []
    for item in plan_cover(len(leaves), exported):
        if isinstance(item, CoverLeaf):
            items.append((item.index, item.index + 1, leaves[item.index]))
        else:
            items.append((item.start, item.end, _range_hash(nodes, item.start, item.end)))
    return items


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 64, 100])
def test_every_subset_of_leaves_rebuilds_the_tree_root(size: int) -> None:
    leaves = _leaves(size)
    rng = random.Random(size)
    for _ in range(20):
        exported = sorted(rng.sample(range(size), rng.randint(0, size)))
        assert root_from_cover(size, _items(leaves, exported)) == root(leaves)


def test_the_cover_lists_each_exported_leaf_once_and_gaps_only_between_them() -> None:
    items = list(plan_cover(8, [2, 3, 6]))
    assert items == [
        CoverGap(0, 2),
        CoverLeaf(2),
        CoverLeaf(3),
        CoverGap(4, 6),
        CoverLeaf(6),
        CoverGap(7, 8),
    ]


def test_exporting_every_leaf_needs_no_gap_hash() -> None:
    assert all(isinstance(item, CoverLeaf) for item in plan_cover(1000, range(1000)))


def test_exporting_no_leaf_gives_the_root_as_one_gap() -> None:
    assert list(plan_cover(13, [])) == [CoverGap(0, 13)]


def test_a_changed_leaf_changes_the_rebuilt_root() -> None:
    leaves = _leaves(13)
    items = _items(leaves, [3, 4, 9])
    at = items.index((3, 4, leaves[3]))
    items[at] = (3, 4, leaf_hash(b"forged"))
    assert root_from_cover(13, items) != root(leaves)


def test_a_dropped_leaf_is_named() -> None:
    leaves = _leaves(13)
    items = _items(leaves, [3, 4, 9])
    items.remove((4, 5, leaves[4]))
    with pytest.raises(ProofError, match="leaf 4 is not covered"):
        root_from_cover(13, items)


def test_an_item_past_the_tree_is_reported() -> None:
    items = _items(_leaves(5), [4])
    items.append((5, 6, hashlib.sha256(b"x").digest()))
    with pytest.raises(ProofError, match="outside a tree of 5 leaves"):
        root_from_cover(5, items)
    extra: list[tuple[int, int]] = []
    root_from_cover(5, items, on_extra=lambda start, end: extra.append((start, end)))
    assert extra == [(5, 6)]


def test_indices_that_do_not_ascend_are_refused() -> None:
    with pytest.raises(ValueError, match="must ascend"):
        list(plan_cover(8, [3, 3]))
    with pytest.raises(ValueError, match="outside a tree of 8 leaves"):
        list(plan_cover(8, [9]))


def test_the_empty_tree_has_the_empty_root() -> None:
    assert list(plan_cover(0, [])) == []
    assert root_from_cover(0, []) == hashlib.sha256(b"").digest()
