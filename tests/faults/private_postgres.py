"""A PostgreSQL server of the fault suite's own, in a temporary directory.

The scenarios stop, restart and starve their database; doing that to the machine's shared
server would break every other test (and every other developer). ``initdb`` and
``pg_ctl`` come from the installed PostgreSQL; as root they run as the ``postgres`` user,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

__all__ = ["PrivatePostgres"]


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """``start``, ``stop`` and ``url``: one cluster, trust auth on 127.0.0.1:``port``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kapaudit-faults-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._bin = _bin_dir()
        self._as_postgres = os.geteuid() == 0
        self._mounts: list[Path] = []
        if self._as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self._bin / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        # -l: the server's output goes to a file, not to our pipe (which it would hold
        # open, so that waiting for pg_ctl's output would wait for the server to end).
        log = str(self.root / "server.log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start"
        )

    def stop(self) -> None:
        # Immediate: the server goes as a crash would take it, clients get cut off.
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    async def execute(self, statement: str) -> None:
        """Run one statement as the superuser, outside a transaction block (as ``ALTER
        SYSTEM`` and ``CREATE TABLESPACE`` need)."""
        connection = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user="postgres", database="postgres", timeout=10
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def create_database(self, name: str, *, tablespace: str | None = None) -> str:
        where = f' TABLESPACE "{tablespace}"' if tablespace else ""
        await self.execute(f'CREATE DATABASE "{name}"{where}')
        return self.url(name)

    def mount_small_disk(self, name: str, *, size_kib: int) -> Path:
        """A tmpfs of ``size_kib`` for a tablespace, so that a test can fill it: the way to
        run a database out of space without filling the machine's disk. Needs root."""
        path = self.root / name
        path.mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(path)],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if mounted.returncode != 0:
            raise RuntimeError(
                f"cannot mount a tmpfs for the out-of-space scenario ({mounted.stderr.strip()});"
                " the fault suite runs as root, as CI does"
            )
        self._mounts.append(path)
        if self._as_postgres:
            shutil.chown(path, user="postgres", group="postgres")
        return path

    @staticmethod
    def resize_disk(path: Path, *, size_kib: int) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,size={size_kib}k", str(path)],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if self.running():
            self.stop()
        deadline = time.monotonic() + 10
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        for mount in self._mounts:
            subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
