"""``make bench``: every figure of issue 11 in one run, written to ``docs/BENCHMARKS.md``.

Runs, one after the other on this machine: B1 durable ingest with its ceiling and its
peer, B3 rebuild and B4 queries on the log B1 recorded (``pipeline.py``), B2 latency
(``b2_latency.py``) and the scale-out runs (``scale_out.py``). Figures are never asserted
in tests: these machines are shared and noisy, so each figure stands beside the ceiling
or peer measured in the same run. ``--quick`` (``make bench-quick``) is 10x smaller.

    .venv/bin/python bench/suite.py --quick
    .venv/bin/python bench/suite.py --output /tmp/BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import b2_latency
import pipeline
import scale_out
from figures import Figure, Scale
from processes import POSTGRES_DSN
from rich.console import Console

__all__ = ["conditions", "main", "render"]

console = Console()
ROOT = Path(__file__).resolve().parent.parent
_PARTS: dict[str, Callable[..., Awaitable[list[Figure]]]] = {
    "B1, B3, B4 (one log)": pipeline.measure,
    "B2 latency": b2_latency.measure,
    "scale-out": scale_out.measure,
}
_PACKAGES = ("pydantic", "sqlalchemy", "asyncpg", "aiokafka", "faststream", "eventsourcing")


async def run(scale: Scale, *, figures: list[Figure], seconds: dict[str, float]) -> None:
    """Measure every part in turn, adding to ``figures`` and ``seconds`` as each ends."""
    for name, measure in _PARTS.items():
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        figures += await measure(scale=scale)
        seconds[name] = time.perf_counter() - started


def conditions(scale: Scale) -> list[str]:
    """What the run's figures depend on, read before the run loads the machine."""
    return [
        f"- {'quick run (`make bench-quick`, 10x smaller)' if scale.quick else 'full run'}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit `{_commit()}`",
        f"- {os.cpu_count()} cores, load average before the run "
        f"{os.getloadavg()[0]:.1f}; {platform.python_implementation()} "
        f"{platform.python_version()}, PostgreSQL {_postgres_version()}, "
        "Kafka protocol broker Tansu (embedded, memory storage)",
        "- " + ", ".join(f"{name} {_version(name)}" for name in _PACKAGES),
        "- workload: the demo clinic day's mix (`bench/workload.py`), 20 clinics over about a year",
    ]


def render(figures: Sequence[Figure], *, run: list[str], seconds: dict[str, float]) -> str:
    """The Markdown page: the run's conditions, then one table per benchmark."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/suite.py`); do not edit by hand. Every figure comes",
        "from one run on one machine, beside the ceiling or peer measured in the same run:",
        "these machines are shared and noisy, so the ratios carry over from run to run and",
        "the absolute figures do not. Nothing here is asserted by a test.",
        "",
        "## The run",
        "",
        *run,
        "- " + "; ".join(f"{name}: {s / 60:.1f} min" for name, s in seconds.items()),
    ]
    for bench in dict.fromkeys(figure.bench for figure in figures):
        lines += ["", f"## {bench}", "", "| measured | figure | target | met | note |",
                  "|---|---:|---|---|---|"]  # fmt: skip
        for figure in (f for f in figures if f.bench == bench):
            met = "" if figure.met is None else ("yes" if figure.met else "**no**")
            lines.append(
                f"| {figure.subject} | {_number(figure.value)} {figure.unit} | {figure.target} "
                f"| {met} | {figure.note} |"
            )
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _postgres_version() -> str:
    import asyncpg

    async def ask() -> str:
        connection = await asyncpg.connect(POSTGRES_DSN)
        try:
            return str(await connection.fetchval("SHOW server_version")).split()[0]
        finally:
            await connection.close()

    return asyncio.run(ask())


def _version(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller (make bench-quick)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args()
    scale = Scale(quick=args.quick)
    before = conditions(scale)
    figures: list[Figure] = []
    seconds: dict[str, float] = {}
    try:
        asyncio.run(run(scale, figures=figures, seconds=seconds))
    finally:
        # What was measured before a part failed is still worth keeping.
        args.output.write_text(render(figures, run=before, seconds=seconds))
    console.print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
