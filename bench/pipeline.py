"""B1 durable ingest, B3 rebuild and B4 queries, measured on one log in one run.

One workload (``workload.py``: the demo day's mix, 20 clinics, about a year) is published
to the embedded broker (Tansu), then:

- **B1**: ``kapaudit record``, its own OS process as in production, records it into a
  fresh PostgreSQL schema: validated, chained, committed, offsets committed, checkpoints
  signed every 1,000 events. The rate runs from the first event in the log to the last,
  so the consumer group's first join is not counted; the recorder's peak RSS is read
  before it stops. In the same run, on the same events and batch size, the ceiling
  (asyncpg COPY) and the peer (the ``eventsourcing`` library), from ``b1_baselines.py``.
- **B3**: ``kapaudit projections rebuild`` replays that log into fresh read models;
  events/s over the whole command, and its peak RSS.
- **B4**: with ``kapaudit project`` running beside it, as in production, and once it has
  judged again every stored verdict that expired, ``kapaudit serve`` answers, through
  HTTP with an admin token (every read is
  audited, so each waits for the broker's acknowledgement of its access record): a
  clinic's 30-day compliance report, one session's verdict, one timeline and the clinic's
  30-day controlled-substance ledger, for random clinics and sessions of the last month.

    .venv/bin/python bench/pipeline.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from b1_baselines import copy_ceiling, eventsourcing_peer
from figures import Figure, Scale
from processes import (
    POSTGRES_DSN,
    KapauditProcess,
    free_port,
    fresh_schema,
    peak_rss_mb,
    schema_of,
)  # fmt: skip
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from workload import SESSIONS_PER_DAY, BenchEvent, Workload

from events import TOPIC
from services.adapters.tansu import EmbeddedBroker
from services.signing_keys import create_key_file

__all__ = ["measure"]

console = Console()
FULL_EVENTS = 1_000_000
BATCH_SIZE = 500
"""The recorder's default batch size (``KAPAUDIT_RECORDER_BATCH_SIZE``)."""
_B1, _B3, _B4 = "B1 durable ingest", "B3 rebuild", "B4 queries"


async def measure(*, scale: Scale) -> list[Figure]:
    workload = Workload(events=scale.of(FULL_EVENTS))
    events = list(workload)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="kapaudit-bench-") as work:
        workdir = Path(work)
        async with EmbeddedBroker(port=0) as broker, fresh_schema() as url:
            schema = schema_of(url)
            env = _environment(broker.bootstrap_servers, url, workdir)
            await _kapaudit(["db", "upgrade"], env)
            await _kapaudit(["topics", "create"], env)
            published = await _publish(broker.bootstrap_servers, events)
            figures += await _record(events, env=env, schema=schema,
                                     published=published)  # fmt: skip
            figures += await _rebuild(len(events), env=env)
            figures += await _queries(workload, env=env, schema=schema, samples=scale.of(200))
    figures += await _baselines(events, recorder=figures[0])
    return figures


def _environment(bootstrap: str, database_url: str, workdir: Path) -> dict[str, str]:
    key = workdir / "signing.key"
    create_key_file(key, name="kapaudit.local/log")
    return {
        "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAPAUDIT_DATABASE_URL": database_url,
        "KAPAUDIT_DATA_DIR": str(workdir),
        "KAPAUDIT_RECORDER_BATCH_SIZE": str(BATCH_SIZE),
        "KAPAUDIT_SIGNING_KEY_FILE": str(key),
        "KAPAUDIT_LOG_LEVEL": "WARNING",
        "KAPAUDIT_RECORDER_METRICS_PORT": "0",
        "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
        "KAPAUDIT_API_REQUESTS_PER_MINUTE": "1000000",
        "KAPAUDIT_API_BURST": "1000000",
    }


async def _kapaudit(args: list[str], env: dict[str, str]) -> None:
    code = await KapauditProcess(*args, env=env, name="bench-setup").run(within=120)
    if code:
        raise RuntimeError(
            f"kapaudit {' '.join(args)} exited {code}: see var/bench/bench-setup.log"
        )


async def _publish(bootstrap: str, events: Sequence[BenchEvent]) -> float:
    """Publish every event, acknowledged by the broker; events/s."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                max_batch_size=1 << 20)  # fmt: skip
    await producer.start()
    try:
        with _progress("publishing") as progress:
            task = progress.add_task("publishing", total=len(events))
            started = time.perf_counter()
            for start in range(0, len(events), 5000):
                chunk = events[start : start + 5000]
                sent = [await producer.send(TOPIC, e.value, key=e.key) for e in chunk]
                await asyncio.gather(*sent)
                progress.update(task, completed=start + len(chunk))
            return len(events) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def _log_size(connection: asyncpg.Connection, schema: str) -> int:
    # max(position) reads one index entry; count(*) would scan a million rows per poll.
    size = await connection.fetchval(f'SELECT max(position) FROM "{schema}".event_log')
    return int(size or 0)


async def _record(
    events: Sequence[BenchEvent], *, env: dict[str, str], schema: str,
    published: float,
) -> list[Figure]:  # fmt: skip
    total = len(events)
    connection = await asyncpg.connect(POSTGRES_DSN)
    recorder = await KapauditProcess("record", env=env, name="bench-record").start()
    try:
        with _progress("recording") as progress:
            task = progress.add_task("recording", total=total)
            first = await _wait(lambda: _log_size(connection, schema), above=0, within=120)
            started, at_start = time.perf_counter(), await _log_size(connection, schema)
            while (size := await _log_size(connection, schema)) < total:
                progress.update(task, completed=size)
                await asyncio.sleep(0.25)
            elapsed = time.perf_counter() - started
            progress.update(task, completed=size)
        rss = peak_rss_mb(recorder.pid)
        count = await connection.fetchval(f'SELECT count(*) FROM "{schema}".event_log')
        if count != total:
            raise RuntimeError(f"the log holds {count} events of {total} (first at {first})")
    finally:
        await recorder.stop()
        await connection.close()
    rate = (total - at_start) / elapsed
    return [
        Figure(bench=_B1, subject="kapaudit recorder", value=rate, unit="events/s",
               target="at least 30,000 events/s", met=rate >= 30_000,
               note=f"{total:,} events from Tansu into PostgreSQL, batches of {BATCH_SIZE}; "
               f"publishing them ran at {published:,.0f} events/s"),
        Figure(bench=_B1, subject="kapaudit recorder peak RSS", value=rss, unit="MB",
               target="under 300 MB", met=rss < 300),
    ]  # fmt: skip


async def _baselines(events: Sequence[BenchEvent], *, recorder: Figure) -> list[Figure]:
    console.print("[bold]B1 baselines[/]: asyncpg COPY, then the eventsourcing library")
    ceiling = await copy_ceiling(events, batch_size=BATCH_SIZE)
    peer = await asyncio.to_thread(eventsourcing_peer, events, batch_size=BATCH_SIZE)
    of_ceiling, of_peer = recorder.value / ceiling.value, recorder.value / peer.value
    return [
        ceiling,
        peer,
        Figure(bench=_B1, subject="recorder / ceiling", value=of_ceiling, unit="ratio",
               target="at least 0.3", met=of_ceiling >= 0.3),
        Figure(bench=_B1, subject="recorder / peer", value=of_peer, unit="ratio",
               target="at least 2", met=of_peer >= 2),
    ]  # fmt: skip


async def _rebuild(total: int, *, env: dict[str, str]) -> list[Figure]:
    console.print(f"[bold]B3[/]: rebuilding every projection from {total:,} events")
    rebuild = KapauditProcess("projections", "rebuild", env=env, name="bench-rebuild")
    started = time.perf_counter()
    await rebuild.start()
    peak = 0.0
    while rebuild.returncode is None:
        peak = max(peak, _rss_or(peak, rebuild.pid))
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    if rebuild.returncode:
        raise RuntimeError(f"projections rebuild exited {rebuild.returncode}: {rebuild.log}")
    rate = total / elapsed
    return [
        Figure(bench=_B3, subject="kapaudit projections rebuild", value=rate, unit="events/s",
               target="at least 50,000 events/s", met=rate >= 50_000,
               note="the whole command, process start included"),
        Figure(bench=_B3, subject="projector (rebuild) peak RSS", value=peak, unit="MB",
               target="under 300 MB", met=peak < 300, note="sampled every 0.2 s"),
    ]  # fmt: skip


def _rss_or(fallback: float, pid: int) -> float:
    try:
        return peak_rss_mb(pid)
    except (OSError, LookupError):
        return fallback  # exited between two looks


async def _admin_token(env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli.main", "tokens", "create",
        "--role", "admin", "--name", "bench", env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"tokens create failed: {err.decode()[-500:]}")
    return out.decode().strip().splitlines()[-1].split()[-1]


async def _queries(
    workload: Workload, *, env: dict[str, str], schema: str, samples: int
) -> list[Figure]:
    port = free_port()
    env = {**env, "KAPAUDIT_HTTP_HOST": "127.0.0.1", "KAPAUDIT_HTTP_PORT": str(port)}
    token = await _admin_token(env)
    # As in production, the projector runs beside the API: it judges again the stored
    # verdicts that expire (a sentence telling the minute they were judged, a deadline).
    projector = await KapauditProcess("project", env=env, name="bench-project").start()
    server = await KapauditProcess("serve", env=env, name="bench-serve").start()
    base = f"http://127.0.0.1:{port}"
    try:
        await _verdicts_settled(schema)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            await _wait_http(client)
            end = workload.last_day + timedelta(days=1)
            period = {"from": (end - timedelta(days=30)).isoformat(), "to": end.isoformat()}
            recent = [c for c in range(workload.copies)
                      if workload.day_of(c) >= end - timedelta(days=30)]  # fmt: skip
            rng = random.Random(11)

            def session() -> str:
                return f"sess-{rng.choice(recent)}-{rng.randrange(1, SESSIONS_PER_DAY):02d}"

            def clinic() -> str:
                return f"clinic-{rng.randrange(workload.clinics):02d}"

            asks: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
                "clinic report, 30 days": lambda: client.get(
                    f"/v1/clinics/{clinic()}/compliance-report", params=period),
                "session verdict": lambda: client.get(f"/v1/sessions/{session()}/compliance"),
                "session timeline": lambda: client.get(f"/v1/sessions/{session()}/timeline"),
                "ledger, 30 days": lambda: client.get(
                    f"/v1/clinics/{clinic()}/controlled-substances", params=period),
            }  # fmt: skip
            figures = []
            for name, ask in asks.items():
                figures += await _latencies(name, ask, samples=samples)
            return figures
    finally:
        await server.stop()
        await projector.stop()


async def _verdicts_settled(schema: str, *, within: float = 900) -> None:
    """Wait until every session has a stored verdict and none has expired unrefreshed."""
    connection = await asyncpg.connect(POSTGRES_DSN)
    unsettled = (
        f'SELECT (SELECT count(*) FROM "{schema}".proj_sessions s LEFT JOIN '
        f'"{schema}".proj_verdicts v USING (session_id) WHERE v.session_id IS NULL) + '
        f'(SELECT count(*) FROM "{schema}".proj_verdicts WHERE valid_until <= now() '
        "AND valid_until <> judged_at)"
    )
    try:
        with _progress("projector refreshing expired verdicts") as progress:
            task = progress.add_task("refreshing", total=None)
            started = time.perf_counter()
            while (left := await connection.fetchval(unsettled)) > 0:
                progress.update(task, description=f"{left:,} verdicts to refresh")
                if time.perf_counter() - started > within:
                    raise TimeoutError(f"{left} stored verdicts still unrefreshed")
                await asyncio.sleep(1)
    finally:
        await connection.close()


async def _wait_http(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/healthz")).status_code < 500:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("kapaudit serve did not answer within 30 s")


async def _latencies(
    name: str, ask: Callable[[], Awaitable[httpx.Response]], *, samples: int
) -> list[Figure]:
    for _ in range(3):  # warm the server's caches and connections first
        (await ask()).raise_for_status()
    times = []
    with _progress(name) as progress:
        task = progress.add_task(name, total=samples)
        for _ in range(samples):
            started = time.perf_counter()
            response = await ask()
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            progress.advance(task)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    target = 50.0 if name.startswith("clinic report") else 10.0 if "session" in name else None
    figures = [
        Figure(bench=_B4, subject=f"{name} p50", value=cuts[49], unit="ms"),
        Figure(bench=_B4, subject=f"{name} p95", value=cuts[94], unit="ms",
               target="" if target is None else f"at most {target:.0f} ms",
               met=None if target is None else cuts[94] <= target,
               note=f"{samples} requests, one at a time"),
    ]  # fmt: skip
    return figures


async def _wait(probe: Callable[[], Awaitable[int]], *, above: int, within: float) -> float:
    started = time.perf_counter()
    while await probe() <= above:
        if time.perf_counter() - started > within:
            raise TimeoutError("the recorder recorded nothing")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


def _progress(label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x fewer events and requests")
    args = parser.parse_args()
    for figure in asyncio.run(measure(scale=Scale(quick=args.quick))):
        console.print(f"{figure.bench}: {figure.subject}: {figure.value:,.2f} {figure.unit} "
                      f"{figure.target} {figure.note}")  # fmt: skip


if __name__ == "__main__":
    main()
