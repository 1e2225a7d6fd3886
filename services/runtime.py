"""The running stack: broker (embedded or given), database, topics and the recorder."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import AfterCommit, ensure_topics, kafka_security, make_broker
from services.adapters.prometheus import MetricsServer, PrometheusMetrics
from services.adapters.sql import SqlEventStore, engine_from_settings, upgrade_schema
from services.adapters.tansu import EmbeddedBroker
from services.bootstrap import wire_export_queue, wire_http, wire_projector, wire_recorder
from services.clock import Clock
from services.config import Settings
from services.http import create_app
from services.projecting import Projector
from services.recording import Recorder

__all__ = ["Stack", "running_stack"]

_log = logging.getLogger("kapaudit")


@dataclass(frozen=True, slots=True, kw_only=True)
class Stack:
    """Handles on a running stack, for the CLI and end-to-end tests."""

    settings: Settings
    bootstrap_servers: str
    broker: KafkaBroker
    engine: AsyncEngine
    store: SqlEventStore
    embedded: bool
    http_url: str | None = None
    """Base URL of the API and dashboard, when served."""
    metrics_url: str | None = None
    """The recorder's or projector's own ``/metrics``, when one runs with a port."""


@contextlib.asynccontextmanager
async def running_stack(
    settings: Settings,
    *,
    record: bool = True,
    project: bool = True,
    serve_http: bool = True,
    clock: Clock | None = None,
    after_commit: AfterCommit | None = None,
) -> AsyncIterator[Stack]:
    """Start what ``settings`` asks for, yield it, and stop it all in reverse order.
    ``after_commit`` is for the fault suite only (see ``register_recorder``)."""
    # One registry per process: ``kapaudit up`` shows the recorder's, the projector's and
    # the API's figures together, on the recorder's port and at the API's /metrics.
    metrics = PrometheusMetrics()
    async with contextlib.AsyncExitStack() as stack:
        bootstrap = settings.kafka_bootstrap_servers
        if bootstrap is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            embedded = EmbeddedBroker(
                port=settings.embedded_kafka_port, log_path=settings.data_dir / "tansu.log"
            )
            await stack.enter_async_context(embedded)
            bootstrap = embedded.bootstrap_servers
            _log.info("embedded Tansu broker listening on %s", bootstrap)
        # Files first: a missing CA or password file fails before anything connects.
        security = kafka_security(settings)
        engine = engine_from_settings(settings)
        stack.push_async_callback(engine.dispose)
        await upgrade_schema(engine)
        await ensure_topics(
            bootstrap_servers=bootstrap,
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
            security=security,
        )
        broker = make_broker(
            bootstrap_servers=bootstrap,
            idempotent=settings.kafka_idempotent_producer,
            security=security,
        )
        recorder = None
        if record:
            recorder = wire_recorder(
                settings=settings,
                broker=broker,
                engine=engine,
                clock=clock,
                after_commit=after_commit,
                metrics=metrics,
            )
        await broker.start()
        stack.push_async_callback(broker.stop)
        if recorder is not None:
            await stack.enter_async_context(
                _ticking(recorder, every_s=max(0.1, settings.checkpoint_every_seconds / 4))
            )
        if project:
            await stack.enter_async_context(
                _following(
                    wire_projector(settings=settings, engine=engine, clock=clock, metrics=metrics)
                )
            )
        metrics_url = None
        metrics_port = _metrics_port(settings, record=record, project=project)
        if metrics_port is not None:
            metrics_url = stack.enter_context(
                _exposing(metrics, host=settings.metrics_host, port=metrics_port)
            )
        http_url = None
        if serve_http:
            exports = wire_export_queue(
                settings=settings, engine=engine, broker=broker, clock=clock
            )
            if exports is not None:
                # Closed after the server stops taking requests and before the broker
                # and database go: a bundle cut short is marked failed, not left running.
                stack.push_async_callback(exports.close)
            app = create_app(
                wire_http(
                    settings=settings,
                    broker=broker,
                    engine=engine,
                    clock=clock,
                    exports=exports,
                    metrics=metrics,
                )
            )
            http_url = await stack.enter_async_context(
                _serving(app, host=settings.http_host, port=settings.http_port)
            )
        yield Stack(
            settings=settings,
            bootstrap_servers=bootstrap,
            broker=broker,
            engine=engine,
            store=SqlEventStore(engine=engine),
            embedded=settings.kafka_bootstrap_servers is None,
            http_url=http_url,
            metrics_url=metrics_url,
        )


def _metrics_port(settings: Settings, *, record: bool, project: bool) -> int | None:
    """The recorder's port when it runs here, else the projector's; None: no own port
    (the API alone serves /metrics on its HTTP port)."""
    if record:
        return settings.recorder_metrics_port
    if project:
        return settings.projector_metrics_port
    return None


@contextlib.contextmanager
def _exposing(metrics: PrometheusMetrics, *, host: str, port: int) -> Iterator[str]:
    """Serve ``metrics`` at ``/metrics`` on ``host:port``; yields the URL."""
    server = MetricsServer(metrics=metrics, host=host, port=port)
    server.start()
    url = f"http://{host}:{server.port}/metrics"
    _log.info("metrics at %s", url)
    try:
        yield url
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def _following(projector: Projector) -> AsyncIterator[None]:
    """Run the projector in the background for as long as the context lasts."""
    stop = asyncio.Event()
    task = asyncio.create_task(projector.run(stop), name="kapaudit-projector")
    try:
        yield
    finally:
        stop.set()
        await task


@contextlib.asynccontextmanager
async def _ticking(recorder: Recorder, *, every_s: float) -> AsyncIterator[None]:
    """Tell the recorder of idle time in the background, so that checkpoints come
    within their period even when no batch arrives to trigger one."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(every_s)
            await recorder.idle()

    task = asyncio.create_task(tick(), name="kapaudit-checkpoint-ticks")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def _serving(app: FastAPI, *, host: str, port: int) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn in the background; yields its base URL."""
    # log_config=None: uvicorn's records go through kapaudit's handler, so that
    # KAPAUDIT_LOG_FORMAT=json covers them too instead of uvicorn's own format.
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", log_config=None
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(), name="kapaudit-http")
    while not server.started:
        if task.done():
            await task
            raise RuntimeError(f"the HTTP server did not start on {host}:{port}")
        await asyncio.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        await task


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our event loop: the CLI owns Ctrl-C, so uvicorn takes no signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
