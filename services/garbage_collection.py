"""The long-running processes' garbage collector, set for a service, not a script."""

from __future__ import annotations

import gc

__all__ = ["GEN0_THRESHOLD", "settle_after_startup"]

GEN0_THRESHOLD = 50_000
"""Allocations between young-generation collections (CPython's default is 700)."""


def settle_after_startup() -> None:
    """Freeze what startup built and collect the young generation less often.

    Recording and folding allocate many short-lived objects per event (parsed JSON,
    pydantic models, rows), which nearly all die with their batch; reference counting
    frees them, and the cyclic collector only has to find the rare cycle. With CPython's
    defaults it ran every 700 allocations and, in its older generations, walked every
    object startup left behind (modules, SQLAlchemy's and pydantic's compiled schemas):
    about 30% of the time spent validating events. Freezing moves those objects out of
    the collector's sight for good; the higher threshold makes the young collections rare
    while keeping memory bounded (a batch's garbage is a few MB).
    """
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, *gc.get_threshold()[1:])
