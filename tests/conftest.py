"""Test set-up: a real database (SQLite by default, PostgreSQL with
INCUBATOR_TEST_DB=postgres), migrated once per run, emptied before each test; the real
app behind Litestar's TestClient; named personas created through the services.

Personas: ida the administrator (first account: every role), ada the author, bob the
peer, cleo the steward, dan from leadership, eve the outsider.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

BACKEND = os.environ.get("INCUBATOR_TEST_DB", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "INCUBATOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_DATA_DIR = Path(tempfile.mkdtemp(prefix="incubator-test-"))
_PG_NAME = f"incubator_test_{uuid.uuid4().hex[:12]}"


async def _admin_execute(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


if BACKEND == "postgres":
    os.environ["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + _PG_NAME
    # Before the app is imported: Piccolo's engine asks the server for its version at once.
    asyncio.run(_admin_execute(f'CREATE DATABASE "{_PG_NAME}"'))
elif BACKEND == "sqlite":
    os.environ["DATABASE_URL"] = f"sqlite:///{_DATA_DIR / 'test.db'}"
else:
    raise RuntimeError(f"INCUBATOR_TEST_DB must be sqlite or postgres, not {BACKEND!r}")
os.environ["INCUBATOR_ENV"] = "test"
os.environ["INCUBATOR_DATA_DIR"] = str(_DATA_DIR)
os.environ["SECRET_KEY"] = "test-secret-" + "x" * 40
os.environ.pop("REDIS_URL", None)
os.environ["INCUBATOR_SCHEDULER"] = "off"  # tests move the clock themselves
os.environ["INCUBATOR_PIPELINE_CACHE_SECONDS"] = "0"  # each test reads fresh figures
os.environ["INCUBATOR_LONG_LIST_SECONDS"] = "0"  # each test counts its own lists
# Cheap hashes keep the suite fast; the production cost is argon2-cffi's default.
os.environ.setdefault("INCUBATOR_ARGON2_TIME_COST", "1")
os.environ.setdefault("INCUBATOR_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("INCUBATOR_ARGON2_PARALLELISM", "1")

from litestar import Litestar  # noqa: E402
from litestar.testing import TestClient  # noqa: E402
from piccolo.apps.migrations.tables import Migration  # noqa: E402

from incubator.accounts import services as accounts  # noqa: E402
from incubator.accounts.tables import Person  # noqa: E402
from incubator.app import create_app  # noqa: E402
from incubator.db.migrate import migrate  # noqa: E402
from incubator.db.transactions import engine, is_sqlite  # noqa: E402
from incubator.gates.pipelines import ensure_default_pipeline  # noqa: E402
from incubator.piccolo_conf import APP_REGISTRY  # noqa: E402

SQLITE_AUDIT_TRIGGERS = import_module(
    "incubator.db.piccolo_migrations.core_2026_11_23t07_10_00_000000"
).SQLITE_TRIGGERS

T = TypeVar("T")
PASSWORD = "correct horse battery"


def pytest_report_header() -> str:
    return f"incubator database: {BACKEND} ({os.environ['DATABASE_URL']})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: they are the slowest and the most telling when all else passes."""
    items.sort(key=lambda item: "/e2e/" in str(item.path))


def pytest_sessionstart(session: pytest.Session) -> None:
    asyncio.run(migrate())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if BACKEND == "postgres":
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{_PG_NAME}" WITH (FORCE)'))
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


def _data_tables() -> list[str]:
    """Every table we own, children before parents (apps are registered parents first)."""
    names = [
        table._meta.tablename
        for app in APP_REGISTRY.app_configs.values()
        for table in app.table_classes
    ]
    return [name for name in reversed(names) if name != Migration._meta.tablename] + [
        "idea_search"  # the search index, created by a raw migration
    ]


async def _empty_database() -> None:
    tables = _data_tables()
    if is_sqlite():
        # The audit log refuses deletes (a trigger); between tests only, lift that guard.
        for name in SQLITE_AUDIT_TRIGGERS:
            await engine().run_ddl(f"DROP TRIGGER IF EXISTS {name}")
        for name in tables:
            await engine().run_ddl(f'DELETE FROM "{name}"')  # noqa: S608 - our table names
        for sql in SQLITE_AUDIT_TRIGGERS.values():
            await engine().run_ddl(sql)
    else:
        quoted = ", ".join(f'"{name}"' for name in tables)
        await engine().run_ddl(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


async def _fresh_database() -> None:
    await _empty_database()
    await ensure_default_pipeline()


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    asyncio.run(_fresh_database())
    shutil.rmtree(_DATA_DIR / "stores", ignore_errors=True)


@pytest.fixture
def app() -> Litestar:
    return create_app()


class Browser:
    """A person's browser: keeps cookies and sends the CSRF token the way pages do."""

    def __init__(self, client: TestClient[Litestar]) -> None:
        self.client = client

    def get(self, url: str, *, htmx: bool = False, **kwargs: Any) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.get(
            url,
            headers={**headers, **kwargs.pop("headers", {})},
            follow_redirects=kwargs.pop("follow_redirects", False),
            **kwargs,
        )

    def csrf_token(self) -> str:
        if "csrftoken" not in self.client.cookies:
            self.client.get("/login")
        return str(self.client.cookies["csrftoken"])

    def post(
        self,
        url: str,
        data: dict[str, Any] | list[tuple[str, str]] | None = None,
        *,
        htmx: bool = False,
        csrf: bool = True,
        **kwargs: Any,
    ) -> Any:
        headers: dict[str, str] = {"HX-Request": "true"} if htmx else {}
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            pairs.append(("_csrf_token", self.csrf_token()))
        fields: dict[str, list[str]] = {}
        for name, value in pairs:
            fields.setdefault(name, []).append(value)
        return self.client.post(
            url,
            data=fields,
            headers={**headers, **kwargs.pop("headers", {})},
            follow_redirects=kwargs.pop("follow_redirects", False),
            **kwargs,
        )

    def login(self, email: str, password: str = PASSWORD) -> Any:
        """Sign in and land on the page the answer sends to, as a browser does (the
        worker reads who signed in there, and keeps it for the pages after)."""
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        assert self.get(response.headers["location"]).status_code == 200
        return response


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def browser(client: TestClient[Litestar]) -> Browser:
    return Browser(client)


@pytest.fixture
def new_browser(app: Litestar, client: TestClient[Litestar]) -> Callable[..., Browser]:
    """More people at once, each with their own cookies. They share the running app's
    event loop (its connection pool belongs to that loop); another app may be given, to
    test other settings, and is served on the same loop."""

    def make(
        other_app: Litestar | None = None, base_url: str = "http://testserver.local"
    ) -> Browser:
        test_client = TestClient(app=other_app or app, base_url=base_url)
        test_client.blocking_portal = client.blocking_portal
        return Browser(test_client)

    return make


# How tests annotate the `run` fixture.
Run = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture
def run(client: TestClient[Litestar]) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine on the app's own event loop (where its connection pool lives)."""

    def call(coroutine: Coroutine[Any, Any, T]) -> T:
        async def wrapper() -> T:
            return await coroutine

        return client.blocking_portal.call(wrapper)

    return call


@dataclass(frozen=True)
class Persona:
    id: int
    email: str
    name: str
    department: str


PERSONAS: dict[str, tuple[str, str]] = {
    # key: (name, department); ida registers first and so holds every role.
    "ida": ("Ida Admin", "IT"),
    "ada": ("Ada Author", "Marketing"),
    "bob": ("Bob Peer", "Opérations"),
    "cleo": ("Cleo Steward", "Finance"),
    "dan": ("Dan Leader", "Direction"),
    "eve": ("Eve Outsider", "Ventes"),
}
PERSONA_ROLES = {"cleo": ["steward"], "dan": ["leadership"]}


@pytest.fixture
def personas(run: Callable[[Coroutine[Any, Any, Any]], Any]) -> dict[str, Persona]:
    async def create() -> dict[str, Persona]:
        people: dict[str, Persona] = {}
        for key, (name, department) in PERSONAS.items():
            email = f"{key}@example.com"
            person = await accounts.register(
                email=email, name=name, password=PASSWORD, department=department
            )
            people[key] = Persona(int(person.id), email, name, department)
        admin = await accounts.load_actor(people["ida"].id)
        assert admin is not None
        for key, roles in PERSONA_ROLES.items():
            await accounts.set_roles(admin, people[key].id, roles)
        return people

    people: dict[str, Persona] = run(create())
    return people


def query_count(response: Any) -> int:
    return int(response.headers["x-sql-queries"])


def text_of(html: str) -> str:
    """The visible text of a page, whitespace folded (for assertions on words)."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return " ".join(without_tags.split())


async def count_people() -> int:
    return int(await Person.count().run())
