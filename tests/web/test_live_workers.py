"""Live updates across workers: two real `incubator serve` processes on one database and
one Redis. A support made through process A reaches an SSE client connected to process B."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import serving, shared_backend
from tests.web.conftest import REDIS_URL


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with (
        shared_backend(tmp_path, REDIS_URL, label="live") as backend,
        serving(backend.env(), tmp_path, 2) as (worker_a, worker_b),
    ):
        yield worker_a.url, worker_b.url


def _post(client: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return client.post(url, data={**data, "_csrf_token": client.cookies["csrftoken"]})


def _register(client: httpx.Client, name: str, department: str) -> None:
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
    response = _post(
        client,
        "/register",
        {"email": email, "name": name, "password": "a long password", "department": department},
    )
    assert response.status_code == 303, response.text


def test_a_support_through_worker_a_reaches_a_page_open_on_worker_b(
    two_workers: tuple[str, str],
) -> None:
    worker_a, worker_b = two_workers
    with httpx.Client(base_url=worker_a) as ada:
        _register(ada, "Ada", "Marketing")
        created = _post(ada, "/ideas/new", {"title": "Live idea", "summary": "Watch it move."})
        idea_id = created.headers["location"].rsplit("/", 1)[1]
    bob_on_a = httpx.Client(base_url=worker_a)
    _register(bob_on_a, "Bob", "Opérations")
    session = bob_on_a.cookies["incubator_session"]

    lines: queue.Queue[str] = queue.Queue()

    def listen_on_b() -> None:
        with (
            httpx.Client(
                base_url=worker_b, cookies={"incubator_session": session}, timeout=20
            ) as bob_on_b,
            bob_on_b.stream("GET", f"/events?idea={idea_id}") as stream,
        ):
            assert stream.status_code == 200
            for line in stream.iter_lines():
                lines.put(line)
                if line.startswith("event: support"):
                    return

    listener = threading.Thread(target=listen_on_b, daemon=True)
    listener.start()
    first = lines.get(timeout=10)  # the stream is open on B (": connected")
    assert "connected" in first
    supported = _post(bob_on_a, f"/ideas/{idea_id}/support", {})
    assert supported.status_code == 303
    received: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(r.startswith("event: support") for r in received):
        try:
            received.append(lines.get(timeout=1))
        except queue.Empty:
            continue
    bob_on_a.close()
    assert any(line.startswith("event: support") for line in received), received
