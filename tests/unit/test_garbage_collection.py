"""The service processes' garbage collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from services.garbage_collection import GEN0_THRESHOLD, settle_after_startup


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_what_startup_built_and_collects_the_young_less_often(
    restored_collector: None,
) -> None:
    older = gc.get_threshold()[1:]
    settle_after_startup()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (GEN0_THRESHOLD, *older)


def test_a_cycle_made_after_settling_is_still_collected(restored_collector: None) -> None:
    settle_after_startup()

    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    del first, second
    assert gc.collect() >= 2
