"""Offline verification of an export bundle: events/s and peak memory of the verifier.

Builds a synthetic bundle (``tests/support/synthetic_bundle.py``: real chains, real
tree, signed checkpoint and manifest, gaps of other clinics), then verifies it in a
child process, so that the builder's memory does not count; the child reports its own
peak RSS. Target (issue 8): >= 50,000 events/s, peak RSS under 300 MB for 1,000,000.

    make bench                                          # also runs this with 1,000,000
    .venv/bin/python bench/verify_export.py --events 100000 --zip
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.chain.note import Verifier
from services.offline.verify import verify_bundle
from tests.support.synthetic_bundle import build_bundle, zip_bundle

TARGET_RATE = 50_000
TARGET_RSS_MB = 300


def _verify_here(path: Path, key: str) -> None:
    """The child: verify, then print what it took as one JSON line."""
    start = time.perf_counter()
    report = verify_bundle(path, key=Verifier.parse(key))
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    result = {"entries": report.entries, "problems": report.problems, "seconds": seconds}
    print(json.dumps({**result, "peak_rss_mb": peak_kb / 1024}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--streams", type=int, default=20_000)
    parser.add_argument("--zip", action="store_true", help="verify the bundle as a .zip")
    parser.add_argument("--verify", nargs=2, metavar=("BUNDLE", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.verify:
        _verify_here(Path(args.verify[0]), args.verify[1])
        return 0
    with tempfile.TemporaryDirectory(prefix="kapaudit-bench-") as scratch:
        started = time.perf_counter()
        bundle = build_bundle(
            Path(scratch) / "bag",
            entries=args.events,
            streams=args.streams,
            access_streams=args.streams // 10,
            foreign_every=20,
            earlier_sizes=(args.events // 2,),
        )
        path = zip_bundle(bundle.path, Path(scratch) / "bag.zip") if args.zip else bundle.path
        print(f"built {args.events:,} events in {time.perf_counter() - started:.1f} s: {path}")
        child = subprocess.run(
            [sys.executable, __file__, "--verify", str(path), bundle.verifier],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(child.stdout)
    rate = result["entries"] / result["seconds"]
    print(
        f"verified {result['entries']:,} events in {result['seconds']:.1f} s: "
        f"{rate:,.0f} events/s (target >= {TARGET_RATE:,}), "
        f"peak RSS {result['peak_rss_mb']:.0f} MB (target < {TARGET_RSS_MB}), "
        f"{result['problems']} problems"
    )
    met = rate >= TARGET_RATE and result["peak_rss_mb"] < TARGET_RSS_MB
    return 0 if met and result["problems"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
