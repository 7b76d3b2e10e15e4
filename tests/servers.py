"""Starting real `incubator serve` processes for tests that need a server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


class Serve:
    """A real `incubator serve` subprocess on a free loopback port, logging to a file."""

    def __init__(
        self, env: dict[str, str], cwd: Path, *, workers: int = 1, name: str = "serve"
    ) -> None:
        self.env, self.cwd, self.workers = env, cwd, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, healthy_within: float = 30) -> Serve:
        command = [sys.executable, "-m", "incubator", "serve", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--workers", str(self.workers)],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_until_healthy(self.url, healthy_within):
            self.stop()
            raise AssertionError(f"the server did not start:\n{self.log()[-3000:]}")
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as when the machine takes the process away."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Serve:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
