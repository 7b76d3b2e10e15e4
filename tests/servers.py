"""Starting real `incubator serve` processes for tests that need a server, and the
database and Redis that several of them share when a test stands for a deployment of
many workers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import redis

from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, _admin_execute

# Starting Python, the app and its pool takes a second on an idle machine, many on a
# loaded one: the deadlines here are for the loaded one.
HEALTHY_WITHIN = 90.0
STOPPED_WITHIN = 60.0

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def wait_for(condition: Callable[[], T], seconds: float, what: Callable[[], str]) -> T:
    """The condition's first true value, polled until the deadline (a loaded machine
    takes its time; a fixed sleep would be too short there and too long here)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds:.0f} s: {what()}")
        time.sleep(0.25)


class Serve:
    """A real `incubator serve` subprocess on a free loopback port, logging to a file."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        *,
        workers: int = 1,
        name: str = "serve",
        args: Sequence[str] = (),
    ) -> None:
        self.env, self.cwd, self.workers, self.args = env, cwd, workers, list(args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def launch(self) -> Serve:
        """Start the process without waiting for it (start several, then wait for all)."""
        command = [sys.executable, "-m", "incubator", "serve", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--workers", str(self.workers), *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_until_healthy(self, seconds: float = 30) -> Serve:
        if not wait_until_healthy(self.url, seconds):
            self.stop()
            raise AssertionError(f"the server did not start:\n{self.log()[-3000:]}")
        return self

    def start(self, *, healthy_within: float = 30) -> Serve:
        return self.launch().wait_until_healthy(healthy_within)

    def terminate(self) -> None:
        """SIGTERM, as a supervisor stops a process: the server drains, then exits."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as when the machine takes the process away."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=15)

    def stop(self, timeout: float = 15) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Serve:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _socket_inodes(pid: int) -> set[str]:
    """The sockets the process holds open, by inode (Linux's /proc); none once it has
    ended (a worker just killed can still be listed as a child while it exits)."""
    inodes: set[str] = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return inodes
    for fd in descriptors:
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on local `port` in `state` ("01" established, "0A"
    listening)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:] if Path(table).exists() else []
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(fields[9])
    return found


def accepted_connections(pid: int, port: int) -> int:
    """How many TCP connections to `port` the process `pid` has accepted and holds open.

    A connection the kernel completed but the server has not yet accepted sits in the
    listening socket's queue and belongs to no process; one that the server accepted is
    a file descriptor of the server (Linux's /proc)."""
    return len(_socket_inodes(pid) & _tcp_sockets(port, "01"))


def listening_sockets(pid: int, port: int) -> set[str]:
    """The listening sockets on `port` that the process `pid` holds, by inode."""
    return _socket_inodes(pid) & _tcp_sockets(port, "0A")


def child_processes(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


@dataclass(frozen=True)
class SharedBackend:
    """One database and one Redis database, shared by every worker a test starts on
    them, the way the workers of a deployment share them."""

    database_url: str
    redis_url: str
    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The test run's environment (secret key, cheap hashes, test mode) pointed at
        this database and Redis; the in-process scheduler is off unless asked for."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "INCUBATOR_SCHEDULER": "off",
            "INCUBATOR_DATA_DIR": str(self.root / "data"),
            **extra,
        }

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one query, read straight from the database the workers write to."""
        if self.database_url.startswith("sqlite"):
            with sqlite3.connect(self.database_url.split("///", 1)[1], timeout=60) as connection:
                return list(connection.execute(sql).fetchall())

        async def fetch() -> list[tuple[Any, ...]]:
            connection = await asyncpg.connect(self.database_url)
            try:
                return [tuple(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()

        return asyncio.run(fetch())

    def run(self, *args: str, cwd: Path | None = None) -> str:
        """`python <args>` on this database and Redis, as the workers see them; its
        output, once it has succeeded."""
        done = subprocess.run(
            [sys.executable, *args],
            env=self.env(),
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def redis_keys(self) -> list[str]:
        with redis.Redis.from_url(self.redis_url) as client:
            return [key.decode() for key in client.keys("*")]

    def flush_redis(self) -> None:
        with redis.Redis.from_url(self.redis_url) as client:
            client.flushdb()


@contextmanager
def shared_backend(root: Path, redis_url: str, *, label: str = "shared") -> Iterator[SharedBackend]:
    """A migrated database of its own (a PostgreSQL database created for it and dropped
    after, or a SQLite file under `root`) and an emptied Redis database, emptied again
    after. `redis_url` names a Redis database that nothing else uses meanwhile."""
    name = f"incubator_{label}_{uuid.uuid4().hex[:10]}"
    if BACKEND == "postgres":
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
        database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        database_url = f"sqlite:///{root / f'{label}.db'}"
    backend = SharedBackend(database_url, redis_url, root)
    try:
        backend.flush_redis()
        backend.run("-m", "incubator", "migrate")
        yield backend
    finally:
        backend.flush_redis()
        if BACKEND == "postgres":
            asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def serving(
    env: dict[str, str],
    cwd: Path,
    count: int = 2,
    *,
    name: str = "worker",
    args: Sequence[str] = (),
) -> Iterator[list[Serve]]:
    """`count` separate `incubator serve` processes (each its own port), started
    together, all healthy before the test runs, all stopped after it. Each has a data
    directory of its own, as on separate machines: what they share, they share through
    the database and Redis in `env`, not through local files."""
    with ExitStack() as stack:
        servers = [
            Serve(
                {**env, "INCUBATOR_DATA_DIR": str(cwd / f"{name}-{n}-data")},
                cwd,
                name=f"{name}-{n}",
                args=args,
            )
            for n in range(count)
        ]
        for server in servers:
            stack.callback(server.stop, STOPPED_WITHIN)
            server.launch()
        for server in servers:
            server.wait_until_healthy(HEALTHY_WITHIN)
        yield servers
