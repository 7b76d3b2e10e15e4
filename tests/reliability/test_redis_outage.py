"""Redis going away and coming back, with a private redis-server: while it is down every
page answers a 503 with Retry-After (no traceback, nothing half-done) and /healthz says
which part is down; once it is back the same process serves again by itself."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from litestar import Litestar

from incubator.app import create_app
from incubator.ideas.tables import Idea
from incubator.settings import get_settings
from tests.conftest import Browser, Persona, Run
from tests.servers import free_port


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=15)
            self.process = None


@pytest.fixture
def app(private_redis: PrivateRedis) -> Litestar:
    return create_app(replace(get_settings(), redis_url=private_redis.url))


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_pages_answer_503_while_redis_is_down_and_recover_when_it_returns(
    private_redis: PrivateRedis, browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    assert browser.get("/ideas").status_code == 200
    ideas_before = run(Idea.count().run())
    token = browser.csrf_token()

    private_redis.stop()
    page = browser.get("/ideas")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "Traceback" not in page.text
    proposal = browser.client.post(
        "/ideas/new",
        data={"title": "Written during the outage", "summary": "Should not land."},
        headers={"x-csrftoken": token},
    )
    assert proposal.status_code == 503
    assert run(Idea.count().run()) == ideas_before
    session = browser.client.cookies.pop("incubator_session")
    health = browser.get("/healthz")  # as a load balancer asks: no cookie
    assert health.status_code == 503
    assert health.json() == {"status": "error", "database": "ok", "store": "unreachable"}

    private_redis.start()  # on the same port, and empty: sessions are gone
    assert browser.get("/healthz").json()["status"] == "ok"
    browser.client.cookies.set("incubator_session", session, domain="testserver.local")
    assert browser.get("/ideas").status_code == 303  # to sign in again
    browser.login(personas["ada"].email)
    assert browser.get("/ideas").status_code == 200
