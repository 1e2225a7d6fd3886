"""RFC 6962 Merkle trees: published vectors, a naive reference tree, and tampering."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.chain.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    NodeId,
    ProofError,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    leaf_hash,
    node_hash,
    perfect_cover,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.unit.chain.merkle_vectors import (
    CONSISTENCY_PROOFS,
    INCLUSION_PROOFS,
    LEAF_INPUTS,
    NODE_HASHES,
    ROOTS,
    naive_consistency_proof,
    naive_inclusion_proof,
    naive_root,
)

LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]


def _flip(proof: list[bytes], which: int, bit: int = 0) -> list[bytes]:
    changed = list(proof)
    h = bytearray(changed[which])
    h[bit // 8] ^= 1 << (bit % 8)
    changed[which] = bytes(h)
    return changed


def test_leaf_and_node_hashes_carry_the_rfc_6962_domain_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_each_prefix_of_the_reference_leaves_is_the_published_one(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]


def test_every_perfect_subtree_of_the_reference_tree_is_the_published_node_hash() -> None:
    nodes = MemoryNodes(LEAVES)
    assert [[nodes(level, i) for i in range(8 >> level)] for level in range(4)] == NODE_HASHES


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_published_inclusion_proofs_are_generated_and_verify(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert inclusion_proof(index, size, LEAVES) == proof
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS)
def test_published_consistency_proofs_are_generated_and_verify(
    old: int, new: int, proof: list[bytes]
) -> None:
    assert consistency_proof(old, new, LEAVES) == proof
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS[1:])
def test_a_published_inclusion_proof_fails_for_any_other_leaf_index_or_size(
    index: int, size: int, proof: list[bytes]
) -> None:
    for other_index, other_size in [(index ^ 1, size), (index + 1, size), (index, size * 2)]:
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], other_index, other_size, proof, ROOTS[size])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS[1:])
def test_a_published_inclusion_proof_with_a_hash_added_or_removed_fails(
    index: int, size: int, proof: list[bytes]
) -> None:
    for mangled in [proof[:-1], [*proof, ROOTS[size]], [ROOTS[size], *proof]]:
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, size, mangled, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS[1:])
def test_a_published_consistency_proof_fails_with_swapped_roots_or_extra_hashes(
    old: int, new: int, proof: list[bytes]
) -> None:
    manglings = [
        (ROOTS[new], ROOTS[old], proof),
        (ROOTS[old], ROOTS[new], proof[:-1]),
        (ROOTS[old], ROOTS[new], [*proof, ROOTS[old]]),
        (ROOTS[old], ROOTS[new], [ROOTS[old], *proof]),
    ]
    for old_root, new_root, mangled in manglings:
        with pytest.raises(ProofError):
            verify_consistency(old, new, old_root, new_root, mangled)


def test_a_single_leaf_tree_proves_its_leaf_with_an_empty_path() -> None:
    h = leaf_hash(b"data")
    verify_inclusion(h, 0, 1, [], h)
    with pytest.raises(ProofError, match="not in the tree"):
        verify_inclusion(h, 0, 1, [], leaf_hash(b"other"))


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 4)])
def test_an_inclusion_proof_for_a_leaf_outside_the_tree_fails(index: int, size: int) -> None:
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(LEAVES[0], index, size, [], ROOTS[1])


def test_hashes_of_the_wrong_length_are_rejected_before_any_hashing() -> None:
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(b"", 0, 1, [], ROOTS[1])
    with pytest.raises(ProofError, match="32 bytes"):
        verify_consistency(1, 2, ROOTS[1], ROOTS[2], [b"short"])


def test_equal_sizes_are_consistent_only_with_equal_roots_and_no_proof() -> None:
    verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    with pytest.raises(ProofError, match="different roots"):
        verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]])


def test_the_empty_tree_is_consistent_with_any_tree_by_an_empty_proof() -> None:
    verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert consistency_proof(0, 8, LEAVES) == []
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(0, 1, EMPTY_ROOT, ROOTS[1], [EMPTY_ROOT])


def test_a_tree_cannot_be_consistent_with_a_larger_older_one() -> None:
    with pytest.raises(ProofError, match="cannot extend"):
        verify_consistency(5, 2, ROOTS[5], ROOTS[2], CONSISTENCY_PROOFS[3][2])
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_plan(5, 2)


def test_a_growing_tree_needs_a_non_empty_consistency_proof() -> None:
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(1, 2, ROOTS[1], ROOTS[2], [])


def test_a_proof_plan_names_only_perfect_subtrees_inside_the_tree() -> None:
    # Size 7 is 4 + 2 + 1: the sibling of leaf 0's half is the run [4, 7).
    assert inclusion_plan(0, 7) == (
        (NodeId(0, 1),),
        (NodeId(1, 1),),
        (NodeId(1, 2), NodeId(0, 6)),
    )
    assert consistency_plan(6, 7) == ((NodeId(1, 2),), (NodeId(0, 6),), (NodeId(2, 0),))


def test_proofs_can_be_built_from_any_node_source_such_as_a_table_of_subtree_hashes() -> None:
    table = {(level, i): h for level, row in enumerate(NODE_HASHES) for i, h in enumerate(row)}
    asked: list[tuple[int, int]] = []

    def lookup(level: int, index: int) -> bytes:
        asked.append((level, index))
        return table[(level, index)]

    assert inclusion_proof(5, 8, lookup) == INCLUSION_PROOFS[2][2]
    assert sorted(asked) == [(0, 4), (1, 3), (2, 0)]


def test_a_memory_node_source_refuses_subtrees_that_do_not_exist() -> None:
    nodes = MemoryNodes(LEAVES[:5])
    with pytest.raises(LookupError):
        nodes(1, 2)  # leaves 4 and 5: the fifth leaf has no right neighbour
    with pytest.raises(LookupError):
        nodes(3, 0)


def test_a_range_not_aligned_like_an_rfc_6962_subtree_has_no_perfect_cover() -> None:
    assert perfect_cover(4, 7) == (NodeId(1, 2), NodeId(0, 6))
    with pytest.raises(ValueError, match="not a subtree"):
        perfect_cover(1, 3)


@pytest.mark.parametrize("size", range(1, 34))
def test_every_proof_in_small_trees_matches_the_naive_rfc_6962_tree(size: int) -> None:
    data = [i.to_bytes(2, "big") for i in range(size)]
    leaves = [leaf_hash(d) for d in data]
    nodes = MemoryNodes(leaves)
    tree_root = naive_root(data)
    assert root(leaves) == tree_root
    for index in range(size):
        proof = inclusion_proof(index, size, nodes)
        assert proof == naive_inclusion_proof(index, data)
        verify_inclusion(leaves[index], index, size, proof, tree_root)
    for old in range(1, size + 1):
        proof = consistency_proof(old, size, nodes)
        assert proof == naive_consistency_proof(old, data)
        verify_consistency(old, size, naive_root(data[:old]), tree_root, proof)


@st.composite
def _tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], int]:
    size = draw(st.integers(min_value=1, max_value=300))
    salt = draw(st.binary(max_size=4))
    data = [salt + i.to_bytes(2, "big") for i in range(size)]
    return data, draw(st.integers(min_value=0, max_value=size - 1))


@settings(max_examples=60, deadline=None)
@given(tree=_tree_and_index(), st_data=st.data())
def test_an_inclusion_proof_verifies_and_any_flipped_bit_breaks_it(
    tree: tuple[list[bytes], int], st_data: st.DataObject
) -> None:
    data, index = tree
    size = len(data)
    leaves = [leaf_hash(d) for d in data]
    tree_root = naive_root(data)
    proof = inclusion_proof(index, size, leaves)
    assert proof == naive_inclusion_proof(index, data)
    verify_inclusion(leaves[index], index, size, proof, tree_root)
    if proof:
        which = st_data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bit = st_data.draw(st.integers(min_value=0, max_value=255))
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, _flip(proof, which, bit), tree_root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(b"not" + data[index]), index, size, proof, tree_root)


@settings(max_examples=60, deadline=None)
@given(tree=_tree_and_index(), st_data=st.data())
def test_a_consistency_proof_verifies_and_any_flipped_bit_breaks_it(
    tree: tuple[list[bytes], int], st_data: st.DataObject
) -> None:
    data, last_old = tree
    old, size = last_old + 1, len(data)
    leaves = [leaf_hash(d) for d in data]
    old_root, new_root = naive_root(data[:old]), naive_root(data)
    proof = consistency_proof(old, size, leaves)
    assert proof == naive_consistency_proof(old, data)
    verify_consistency(old, size, old_root, new_root, proof)
    if proof:
        which = st_data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bit = st_data.draw(st.integers(min_value=0, max_value=255))
        with pytest.raises(ProofError):
            verify_consistency(old, size, old_root, new_root, _flip(proof, which, bit))
    if old < size:
        # A rewritten last old leaf changes the old root: the new tree no longer extends it.
        rewritten = naive_root([*data[: old - 1], b"rewritten"])
        with pytest.raises(ProofError):
            verify_consistency(old, size, rewritten, new_root, proof)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(min_value=1, max_value=300), salt=st.binary(max_size=4))
def test_every_proof_of_a_random_tree_verifies_against_naively_computed_roots(
    size: int, salt: bytes
) -> None:
    data = [salt + i.to_bytes(2, "big") for i in range(size)]
    nodes = MemoryNodes([leaf_hash(d) for d in data])
    naive_roots = [naive_root(data[:m]) for m in range(size + 1)]
    for index in range(size):
        proof = inclusion_proof(index, size, nodes)
        verify_inclusion(leaf_hash(data[index]), index, size, proof, naive_roots[size])
    for old in range(size + 1):
        proof = consistency_proof(old, size, nodes)
        verify_consistency(old, size, naive_roots[old], naive_roots[size], proof)
