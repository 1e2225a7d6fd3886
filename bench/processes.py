"""What the benchmarks that run kapaudit as separate processes share.

A fresh PostgreSQL schema per run (dropped after), the ``kapaudit record``, ``project``
and ``serve`` processes as production runs them (one process per role, configured by
``KAPAUDIT_*`` variables), and what ``/proc`` tells of them: peak RSS and CPU time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from services.adapters.child_processes import die_with_parent

__all__ = [
    "POSTGRES_DSN",
    "ROOT",
    "KapauditProcess",
    "busy_cpu_seconds",
    "children_cpu_seconds",
    "cpu_seconds",
    "free_port",
    "fresh_schema",
    "peak_rss_mb",
    "postgres_cpu_seconds",
    "schema_of",
]

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
LOGS = ROOT / "var" / "bench"


@contextlib.asynccontextmanager
async def fresh_schema() -> AsyncIterator[str]:
    """A new, empty schema in the ``test`` database; yields the SQLAlchemy URL that puts
    it on the search path. Dropped with everything in it afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES_DSN)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await connection.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/test?search_path={schema}"
    finally:
        connection = await asyncpg.connect(POSTGRES_DSN)
        try:
            await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await connection.close()


def schema_of(database_url: str) -> str:
    """The schema ``fresh_schema``'s URL puts on the search path."""
    return database_url.rsplit("search_path=", 1)[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class KapauditProcess:
    """``kapaudit COMMAND`` in a process of its own, run from this checkout's code; its
    output goes to ``var/bench/NAME.log``."""

    def __init__(self, *args: str, env: dict[str, str], name: str) -> None:
        self.args = args
        self.command = " ".join(args)
        self.name = name
        self._env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self._process: asyncio.subprocess.Process | None = None
        self.log = LOGS / f"{name}.log"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    async def run(self, *, within: float) -> int:
        """Start it and wait for it to exit; its exit code."""
        await self.start()
        assert self._process is not None
        return await asyncio.wait_for(self._process.wait(), within)

    async def start(self) -> KapauditProcess:
        LOGS.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "services.cli.main",
                *self.args,
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent,
            )
        return self

    def check_alive(self) -> None:
        if self._process is not None and self._process.returncode is not None:
            raise RuntimeError(
                f"kapaudit {self.command} exited with {self._process.returncode}; see {self.log}"
            )

    async def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; SIGKILL after 30 s."""
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (``VmHWM``), in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmHWM for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command's ")": state is field 3, utime 14 and stime 15 (1-based).
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent not idle, all cores together."""
    fields = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is counted inside user).
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by every live PostgreSQL server process on this machine."""
    return sum(_cpu_of(pid) for pid, _ in _processes() if _comm(pid) == "postgres")


def children_cpu_seconds(command: str) -> float:
    """CPU time used so far by this process's live children whose name (as
    ``/proc/PID/comm`` has it) starts with ``command``: ``tansu`` for the embedded broker."""
    me = os.getpid()
    children = [pid for pid, parent in _processes() if parent == me]
    return sum(_cpu_of(pid) for pid in children if _comm(pid).startswith(command))


def _processes() -> list[tuple[int, int]]:
    """Every live process id, with its parent's."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            found.append((int(entry.name), int(fields[1])))
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cpu_of(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0
