"""What a benchmark reports: figures with their ceiling or peer beside them.

Each ``bench/b*.py`` module measures one part of the suite and returns ``Figure`` rows;
``bench/suite.py`` runs them all in one run and writes ``docs/BENCHMARKS.md``. A figure
is never asserted in a test: these machines are shared and noisy, so the ratio to a
baseline measured in the same run is what carries over from one run to the next.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Figure", "Scale"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scale:
    """How big one run is; ``quick`` runs are 10x smaller (``make bench-quick``)."""

    quick: bool = False

    def of(self, full: int) -> int:
        return full // 10 if self.quick else full


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One measured figure."""

    bench: str
    """Which part of the suite: "B1 durable ingest", "B2 latency", ..."""
    subject: str
    """What was measured: "kapaudit recorder", "asyncpg COPY (ceiling)", ..."""
    value: float
    unit: str
    """"events/s", "ms", "MB", ..."""
    target: str = ""
    """The issue's target for this figure, in words ("at least 30,000 events/s"), if any."""
    met: bool | None = None
    """Whether the target is met in this run; None without a target."""
    note: str = ""
    """Anything a reader needs to read the figure right (ratios to the baselines, sizes)."""
