"""The benchmarks' real parts: a fresh PostgreSQL schema and kapaudit's own processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from services.adapters.child_processes import die_with_parent

__all__ = ["POSTGRES_DSN", "KapauditProcess", "fresh_schema", "peak_rss_mb", "sqlalchemy_url"]

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent


@contextlib.asynccontextmanager
async def fresh_schema(prefix: str) -> AsyncIterator[str]:
    """A new, empty schema in the local PostgreSQL, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES_DSN)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        yield schema
    finally:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


def sqlalchemy_url(schema: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/test?search_path={schema}"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB; read it before the process exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmHWM for process {pid}")


class KapauditProcess:
    """``kapaudit COMMAND`` as its own OS process, as production runs each role."""

    def __init__(self, *args: str, env: dict[str, str], log: Path) -> None:
        self._args = args
        self._env = {**os.environ, **env}
        self._log = log
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self) -> KapauditProcess:
        self._log.parent.mkdir(parents=True, exist_ok=True)
        with self._log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli.main", *self._args,
                cwd=ROOT, env=self._env, stdout=log, stderr=log, preexec_fn=die_with_parent,
            )  # fmt: skip
        return self

    async def run(self, *, within: float) -> int:
        """Start it and wait for it to exit; its exit code."""
        await self.start()
        assert self._process is not None
        return await asyncio.wait_for(self._process.wait(), within)

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
