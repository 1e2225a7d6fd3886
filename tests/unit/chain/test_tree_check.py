"""Checking leaves against a checkpoint: what each disagreement is called."""

from __future__ import annotations

from services.chain.checkpoint import Checkpoint
from services.chain.compact_range import CompactRange
from services.chain.merkle import EMPTY_ROOT, leaf_hash, root
from services.chain.tree_check import TreeCheck, TreeProblem

LEAVES = [leaf_hash(bytes([i])) for i in range(9)]


def _checkpoint(size: int, root_hash: bytes | None = None) -> Checkpoint:
    return Checkpoint(
        origin="kapaudit.test/log",
        size=size,
        root_hash=root(LEAVES[:size]) if root_hash is None else root_hash,
    )


def _problems(
    leaves: list[bytes], checkpoint: Checkpoint | None, *, stored: CompactRange | None = None
) -> list[str]:
    check = TreeCheck(checkpoint=checkpoint)
    for leaf in leaves:
        check.see(leaf)
    return [f.problem.value for f in check.findings(stored=stored)]


def test_a_log_that_grew_past_its_checkpoint_agrees_with_it() -> None:
    assert _problems(LEAVES, _checkpoint(6)) == []


def test_the_empty_checkpoint_agrees_with_any_log() -> None:
    assert _problems(LEAVES, _checkpoint(0, EMPTY_ROOT)) == []


def test_fewer_leaves_than_the_checkpoint_signed_is_truncation() -> None:
    assert _problems(LEAVES[:5], _checkpoint(6)) == [TreeProblem.TRUNCATED.value]


def test_an_edited_leaf_before_the_checkpoint_is_a_rewrite() -> None:
    edited = [*LEAVES[:2], leaf_hash(b"forged"), *LEAVES[3:]]
    assert _problems(edited, _checkpoint(6)) == [TreeProblem.REWRITTEN.value]


def test_an_edit_after_the_checkpoint_is_no_rewrite_of_it() -> None:
    edited = [*LEAVES[:7], leaf_hash(b"forged"), LEAVES[8]]
    assert _problems(edited, _checkpoint(6)) == []


def test_a_stored_tree_that_differs_from_the_leaves_is_named() -> None:
    stored = CompactRange().extend(LEAVES[:8])
    assert _problems(LEAVES, None, stored=stored) == [TreeProblem.TREE_MISMATCH.value]
    assert _problems(LEAVES, None, stored=CompactRange().extend(LEAVES)) == []


def test_a_checkpoint_kept_elsewhere_catches_a_truncation_the_newest_one_cannot() -> None:
    # Whoever truncated the log also deleted the checkpoints that covered the lost tail.
    check = TreeCheck(checkpoint=_checkpoint(4), others=[("copy.txt", _checkpoint(7))])
    for leaf in LEAVES[:5]:
        check.see(leaf)
    findings = check.findings()
    assert [f.problem for f in findings] == [TreeProblem.TRUNCATED]
    assert "copy.txt of size 7" in findings[0].detail


def test_every_checkpoint_kept_elsewhere_is_checked_by_its_own_size() -> None:
    others = [("a", _checkpoint(3)), ("b", _checkpoint(6, leaf_hash(b"not a root")))]
    check = TreeCheck(others=others)
    for leaf in LEAVES:
        check.see(leaf)
    findings = check.findings()
    assert [(f.problem, "b of size 6" in f.detail) for f in findings] == [
        (TreeProblem.REWRITTEN, True)
    ]
