"""The incremental tree state: append in O(log n), root at any size, stored as bytes or JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.chain.compact_range import CompactRange
from services.chain.merkle import EMPTY_ROOT, MemoryNodes, NodeId, leaf_hash, root
from tests.unit.chain.merkle_vectors import LEAF_INPUTS, NODE_HASHES, ROOTS, naive_root

LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]


def test_an_empty_range_has_the_empty_tree_root() -> None:
    assert CompactRange().root() == EMPTY_ROOT


def test_appending_the_reference_leaves_yields_every_published_root() -> None:
    state = CompactRange()
    roots = [state.root()]
    for h in LEAVES:
        state = state.append(h)
        roots.append(state.root())
    assert roots == ROOTS


def test_the_range_keeps_one_perfect_subtree_per_set_bit_of_the_size() -> None:
    state = CompactRange().extend(LEAVES[:7])
    # 7 = 4 + 2 + 1, as transparency-dev's testonly CompactTrees lists it.
    assert state.hashes == (NODE_HASHES[2][0], NODE_HASHES[1][2], NODE_HASHES[0][6])
    assert state.node_ids() == (NodeId(2, 0), NodeId(1, 2), NodeId(0, 6))


def test_appending_reports_exactly_the_subtrees_it_completes() -> None:
    seen: list[tuple[NodeId, bytes]] = []
    CompactRange().extend(LEAVES, visit=lambda node, h: seen.append((node, h)))
    expected = {
        (NodeId(level, i), h) for level, row in enumerate(NODE_HASHES) for i, h in enumerate(row)
    }
    assert len(seen) == len(expected)
    assert set(seen) == expected


def test_the_visited_subtrees_are_a_node_source_that_rebuilds_the_range() -> None:
    table: dict[tuple[int, int], bytes] = {}
    state = CompactRange().extend(
        LEAVES[:6], visit=lambda node, h: table.__setitem__((node.level, node.index), h)
    )
    rebuilt = CompactRange.from_nodes(size=6, nodes=lambda level, i: table[(level, i)])
    assert rebuilt == state
    assert rebuilt.root() == ROOTS[6]


def test_a_range_rebuilt_from_a_smaller_size_matches_the_tree_at_that_size() -> None:
    assert CompactRange.from_nodes(size=3, nodes=MemoryNodes(LEAVES)).root() == ROOTS[3]


def test_appending_never_changes_the_state_it_was_called_on() -> None:
    before = CompactRange().extend(LEAVES[:3])
    after = before.append(LEAVES[3])
    assert (before.size, before.root(), after.size) == (3, ROOTS[3], 4)


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (3, (b"\x00" * 32,), "2 perfect subtrees"),
        (1, (b"\x00" * 31,), "32 bytes"),
        (-1, (), "out of range"),
    ],
)
def test_an_inconsistent_range_cannot_be_constructed(
    size: int, hashes: tuple[bytes, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CompactRange(size=size, hashes=hashes)


def test_a_leaf_hash_of_the_wrong_length_cannot_be_appended() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"data")


@pytest.mark.parametrize("size", [0, 1, 5, 8])
def test_bytes_and_json_round_trip_to_the_same_state(size: int) -> None:
    state = CompactRange().extend(LEAVES[:size])
    assert CompactRange.from_bytes(state.to_bytes()) == state
    assert CompactRange.from_json(state.to_json()) == state
    assert len(state.to_bytes()) == 8 + 32 * size.bit_count()


def test_the_json_form_names_the_size_and_hex_hashes() -> None:
    state = CompactRange().extend(LEAVES[:2])
    assert json.loads(state.to_json()) == {"size": 2, "hashes": [NODE_HASHES[1][0].hex()]}


@pytest.mark.parametrize(
    "text",
    ['{"size": 2}', '{"size": "2", "hashes": []}', '{"size": 1, "hashes": ["zz"]}', "[]", "{"],
)
def test_malformed_json_is_refused_with_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="compact range"):
        CompactRange.from_json(text)


def test_truncated_bytes_are_refused() -> None:
    data = CompactRange().extend(LEAVES[:5]).to_bytes()
    with pytest.raises(ValueError, match="compact range"):
        CompactRange.from_bytes(data[:-1])
    with pytest.raises(ValueError, match="compact range"):
        CompactRange.from_bytes(data[:7])


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=0, max_value=300), split=st.integers(min_value=0, max_value=300))
def test_a_range_stored_midway_and_resumed_yields_the_naive_root(size: int, split: int) -> None:
    split = min(split, size)
    data = [i.to_bytes(2, "big") for i in range(size)]
    leaves = [leaf_hash(d) for d in data]
    first = CompactRange().extend(leaves[:split])
    resumed = CompactRange.from_bytes(first.to_bytes()).extend(leaves[split:])
    assert resumed.root() == naive_root(data) == root(leaves)
