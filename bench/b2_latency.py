"""B2 latency: from a producer's send to the event's effect in the session's verdict.

The deployed shape on one machine: the embedded broker, a fresh PostgreSQL schema, and
``kapaudit record``, ``kapaudit project`` and ``kapaudit serve`` as three processes with
their default batch settings (checkpoints signed, as in production). The demo day's mix
(``bench.workload``) is published at a steady 1,000 events/s for 60 s (quick: 10 s).

What is timed: about five times a second, the next ``dose.administered``,
``session.ended`` or ``patient.discharged`` to be published is a probe. Just before the
producer's ``send`` a clock starts; a compliance officer's client then polls
``GET /v1/sessions/{id}/compliance`` (the session's verdict) without pause until the
probe's event id is among the evidence of one of the verdict's rules, and the clock stops
when that answer arrives. Each of these types also moves a rule's outcome (the dose,
end-of-session and discharge rules), so it is the moment a reader can see the verdict
change; the time includes the broker, the recorder's batch and commit, the projector's
fold (it polls the log every 0.25 s when idle) and one API read.

Every read of a verdict is itself audited: it publishes an ``access.recorded`` event that
the same recorder stores, so the poll adds to the load (the note gives the count). The
API's per-token rate limit is off for the run (``KAPAUDIT_API_REQUESTS_PER_MINUTE=0``):
a tight poll would meet it otherwise.

Also reported: the recorder's and projector's peak RSS (``VmHWM``) at the end of the run.
Targets (issue 11): p50 <= 50 ms, p99 <= 250 ms; RSS under 300 MB each.

    .venv/bin/python bench/b2_latency.py              # 60 s
    .venv/bin/python bench/b2_latency.py --quick      # 10 s
    .venv/bin/python bench/b2_latency.py --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from figures import Figure, Scale
from processes import KapauditProcess, free_port, fresh_schema, peak_rss_mb
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from workload import EVENTS_PER_DAY, BenchEvent, Workload, clinic_ids

from events import TOPIC
from services.adapters.kafka import ensure_topics
from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.read_model_tables import projection_checkpoints
from services.adapters.sql.tables import event_log
from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from services.signing_keys import create_key_file

__all__ = ["measure"]

BENCH = "B2 latency"
RATE = 1000
"""Events published per second."""
PROBES_PER_SECOND = 5
PROBE_TYPES = frozenset({"dose.administered", "session.ended", "patient.discharged"})
PROBE_TIMEOUT_S = 30.0
PARTITIONS = 12
CLINICS = 20
console = Console(width=200)


@dataclass(slots=True)
class _Probes:
    latencies_ms: list[float] = field(default_factory=list)
    sent_at: dict[str, datetime] = field(default_factory=dict)
    """Each seen probe's event id, and the wall-clock instant it was sent."""
    read_ms: list[float] = field(default_factory=list)
    """How long each verdict read took."""
    unseen: int = 0
    """Probes whose effect did not show within ``PROBE_TIMEOUT_S``."""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


async def _wait_for(
    condition_name: str, check: Callable[[], Awaitable[bool]], *, within: float
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {within:.0f} s waiting for {condition_name}")
        await asyncio.sleep(0.1)


async def _projected(engine: AsyncEngine, *, at_least: int) -> bool:
    """Whether the log holds ``at_least`` events and every projection has folded them."""
    async with engine.connect() as connection:
        count = (await connection.execute(select(func.count()).select_from(event_log))).scalar()
        head = (await connection.execute(select(func.max(event_log.c.position)))).scalar()
        done = list((await connection.execute(select(projection_checkpoints.c.position))).scalars())
    return (count or 0) >= at_least and bool(done) and min(done) >= (head or 0)


async def _probe(
    client: httpx.AsyncClient,
    event: BenchEvent,
    started: float,
    sent_at: datetime,
    probes: _Probes,
) -> None:
    """Poll the session's verdict until ``event`` is among its rules' evidence."""
    path = f"/v1/sessions/{event.session_id}/compliance"
    deadline = started + PROBE_TIMEOUT_S
    while (asked := time.perf_counter()) < deadline:
        try:
            response = await client.get(path)
        except httpx.TransportError:
            # A kept-alive connection the server closed just as it was reused: ask again.
            continue
        answered = time.perf_counter()
        probes.read_ms.append((answered - asked) * 1000)
        if response.status_code == 200 and any(
            event.event_id in rule["evidence"] for rule in response.json()["rules"]
        ):
            probes.latencies_ms.append((answered - started) * 1000)
            probes.sent_at[event.event_id] = sent_at
            return
        if response.status_code not in (200, 403, 404):
            response.raise_for_status()
    probes.unseen += 1


async def _publish_steadily(
    bootstrap: str,
    events: Sequence[BenchEvent],
    *,
    client: httpx.AsyncClient,
    probes: _Probes,
) -> float:
    """Publish ``events`` at ``RATE`` a second, starting probes on the way; returns the
    rate achieved."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sends = []
        started = time.perf_counter()
        next_probe = started
        for n, event in enumerate(events):
            delay = started + n / RATE - time.perf_counter()
            if delay > 0.002:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            wall = datetime.now(UTC)
            probe = event.event_type in PROBE_TYPES and now >= next_probe
            sends.append(await producer.send(TOPIC, event.value, key=event.key))
            if probe:
                next_probe = now + 1 / PROBES_PER_SECOND
                task = asyncio.create_task(_probe(client, event, now, wall, probes))
                probes.tasks.add(task)
        await asyncio.gather(*sends)
        return len(events) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def _percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest rank."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


async def measure(*, scale: Scale, seconds: float | None = None) -> list[Figure]:
    """Run the pipeline at ``RATE`` events/s for ``seconds`` (default 60; quick 10) and
    return the latency percentiles and the recorder's and projector's peak RSS."""
    duration = seconds if seconds is not None else (10.0 if scale.quick else 60.0)
    steady = int(duration * RATE)
    # The first copy of the day warms up: the consumer group's first join takes seconds.
    warm = EVENTS_PER_DAY
    workload = list(Workload(events=warm + steady, clinics=CLINICS))
    probes = _Probes()
    async with fresh_schema() as database_url, EmbeddedBroker(port=0) as broker:
        engine = create_engine(database_url)
        keys_dir = tempfile.TemporaryDirectory(prefix="kapaudit-bench-")
        keys = Path(keys_dir.name)
        processes: list[KapauditProcess] = []
        try:
            await upgrade_schema(engine)
            await ensure_topics(bootstrap_servers=broker.bootstrap_servers, partitions=PARTITIONS)
            create_key_file(keys / "signing.key", name="kapaudit.local/log")
            token, _ = await SqlTokenStore(engine=engine).create(
                name="bench-officer",
                role=Role.COMPLIANCE_OFFICER,
                clinics=clinic_ids(CLINICS),
                now=datetime.now(UTC),
            )
            port = free_port()
            env = {
                "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "KAPAUDIT_DATABASE_URL": database_url,
                "KAPAUDIT_KAFKA_PARTITIONS": str(PARTITIONS),
                "KAPAUDIT_SIGNING_KEY_FILE": str(keys / "signing.key"),
                "KAPAUDIT_HTTP_PORT": str(port),
                "KAPAUDIT_RECORDER_METRICS_PORT": "0",
                "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
                "KAPAUDIT_API_REQUESTS_PER_MINUTE": "0",
                "KAPAUDIT_LOG_LEVEL": "WARNING",
            }
            processes = [
                KapauditProcess(command, env=env, name=f"b2-{command}")
                for command in ("record", "project", "serve")
            ]
            recorder, projector, _ = processes
            for process in processes:
                await process.start()
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=PROBE_TIMEOUT_S,
            ) as client:

                async def ready() -> bool:
                    for process in processes:
                        process.check_alive()
                    try:
                        return (await client.get("/readyz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await _wait_for("the API", ready, within=120)
                warm_up = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
                await warm_up.start()
                try:
                    for event in workload[:warm]:
                        await warm_up.send(TOPIC, event.value, key=event.key)
                    await warm_up.flush()
                finally:
                    await warm_up.stop()

                async def warmed() -> bool:
                    recorder.check_alive()
                    projector.check_alive()
                    return await _projected(engine, at_least=warm)

                await _wait_for("the warm-up day to be projected", warmed, within=180)
                console.print(f"publishing {steady:,} events at {RATE:,}/s ...")
                achieved = await _publish_steadily(
                    broker.bootstrap_servers, workload[warm:], client=client, probes=probes
                )
                await asyncio.gather(*probes.tasks)
            for process in processes:
                process.check_alive()
            recorded_ms = await _send_to_recorded_ms(engine, probes.sent_at)
            recorder_mb, projector_mb, api_mb = (peak_rss_mb(p.pid) for p in processes)
        finally:
            for process in processes:
                await process.stop()
            await engine.dispose()
            keys_dir.cleanup()
    return _figures(
        probes,
        recorded_ms=recorded_ms,
        achieved=achieved,
        duration=duration,
        recorder_mb=recorder_mb,
        projector_mb=projector_mb,
        api_mb=api_mb,
    )


async def _send_to_recorded_ms(engine: AsyncEngine, sent_at: dict[str, datetime]) -> list[float]:
    """For each probe, from its send to the ``recorded_at`` the recorder stored it with
    (the batch's instant, taken just before its transaction commits)."""
    query = select(event_log.c.event_id, event_log.c.recorded_at).where(
        event_log.c.event_id.in_(list(sent_at))
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [(row.recorded_at - sent_at[row.event_id]).total_seconds() * 1000 for row in rows]


def _figures(
    probes: _Probes,
    *,
    recorded_ms: list[float],
    achieved: float,
    duration: float,
    recorder_mb: float,
    projector_mb: float,
    api_mb: float,
) -> list[Figure]:
    samples = probes.latencies_ms
    if not samples:
        raise RuntimeError("no probe saw its event in the verdict")
    p50 = statistics.median(samples)
    p99 = _percentile(samples, 99)
    worst = max(samples)
    setting = (
        f"{len(samples)} probes over {duration:.0f} s at {achieved:,.0f} events/s published; "
        f"{len(probes.read_ms):,} verdict reads (each an access.recorded in the log), "
        f"median read {statistics.median(probes.read_ms):.0f} ms"
    )
    if probes.unseen:
        setting += f"; {probes.unseen} probes unseen after {PROBE_TIMEOUT_S:.0f} s"
    subject = "send to verdict (GET /v1/sessions/{id}/compliance)"
    return [
        Figure(
            bench=BENCH,
            subject=f"{subject}, p50",
            value=round(p50, 1),
            unit="ms",
            target="at most 50 ms",
            met=p50 <= 50 and not probes.unseen,
            note=setting,
        ),
        Figure(
            bench=BENCH,
            subject=f"{subject}, p99",
            value=round(p99, 1),
            unit="ms",
            target="at most 250 ms",
            met=p99 <= 250 and not probes.unseen,
        ),
        Figure(bench=BENCH, subject=f"{subject}, max", value=round(worst, 1), unit="ms"),
        Figure(
            bench=BENCH,
            subject="of which send to recorded (event_log.recorded_at), p50",
            value=round(statistics.median(recorded_ms), 1),
            unit="ms",
            note=f"p99 {_percentile(recorded_ms, 99):.0f} ms; the rest is the projector's "
            "fold and the read",
        ),
        Figure(
            bench=BENCH,
            subject="kapaudit record, peak RSS",
            value=round(recorder_mb),
            unit="MB",
            target="under 300 MB",
            met=recorder_mb < 300,
        ),
        Figure(
            bench=BENCH,
            subject="kapaudit project, peak RSS",
            value=round(projector_mb),
            unit="MB",
            target="under 300 MB",
            met=projector_mb < 300,
            note=f"kapaudit serve: {api_mb:.0f} MB",
        ),
    ]


def print_figures(figures: Sequence[Figure]) -> None:
    table = Table(title=figures[0].bench if figures else "")
    for column in ("subject", "value", "target", "met", "note"):
        table.add_column(column)
    for figure in figures:
        met = "" if figure.met is None else ("yes" if figure.met else "NO")
        table.add_row(
            figure.subject, f"{figure.value:,} {figure.unit}", figure.target, met, figure.note
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60 s")
    parser.add_argument("--seconds", type=float, default=None, help="override the duration")
    args = parser.parse_args()
    print_figures(asyncio.run(measure(scale=Scale(quick=args.quick), seconds=args.seconds)))


if __name__ == "__main__":
    main()
