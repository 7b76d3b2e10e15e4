"""Browser tests: a real `incubator serve` on a fresh database of the backend under test,
driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, _admin_execute
from tests.servers import free_port, wait_until_healthy

CHROMIUM = os.environ.get("INCUBATOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The committed screenshots come from the SQLite run; the PostgreSQL run (the same pages,
# side by side with it in .ci/run) keeps its own in a temporary folder.
SCREENSHOTS = (
    Path(__file__).parent / "screenshots"
    if BACKEND == "sqlite"
    else Path(tempfile.mkdtemp(prefix="incubator-screenshots-"))
)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("e2e-server")
    if BACKEND == "postgres":
        name = f"incubator_e2e_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
        database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        database_url = f"sqlite:///{workdir / 'e2e.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INCUBATOR_ENV": "development",
        "INCUBATOR_DATA_DIR": str(workdir / "data"),
    }
    for name in (
        "INCUBATOR_ARGON2_TIME_COST",
        "INCUBATOR_ARGON2_MEMORY_KIB",
        "INCUBATOR_ARGON2_PARALLELISM",
        "SECRET_KEY",
    ):
        env.pop(name, None)  # the real thing: production-strength hashing, a generated key
    # The demo company gives every page real content (and its people known passwords).
    subprocess.run(
        [sys.executable, "-m", "incubator", "demo"],
        env=env,
        check=True,
        cwd=workdir,
        capture_output=True,
    )
    port = free_port()
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "incubator", "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_healthy(url):
            raise RuntimeError((workdir / "server.log").read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
        if BACKEND == "postgres":
            asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Module scope: Playwright's sync API keeps an event loop running in this thread while it
# lives, which other tests' asyncio.run() cannot share.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    """Browser tests run against their own server and database: nothing to empty here."""


def register(
    page: Page, *, name: str, department: str, password: str = "a long enough password"
) -> str:
    """Create an account through the form; returns its email. The page ends signed in."""
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com"
    page.goto("/register")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Department").fill(department)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/profile")
    return email
