"""The authorization matrix: every write route and every page of the app, against seven
personas — anonymous, eve the outsider, ada the idea's author, bob on ada's team, cleo
the steward, dan from leadership and ida the administrator (who holds every role).

Each cell is its own test. Its row's things are made through the real services (ada's
challenge, ada's idea with bob accepted onto its team, a comment, a round…) — afresh after
any cell that changed something —, the database is snapshotted, one request goes through
the real app as the persona, and the cell checks:
- allowed: a 2xx or a 303 that is not the sign-in page, and (for a write) that something
  changed; a page changes nothing;
- refused: the exact answer (403, or 404 where the thing is someone else's and stays
  unseen, 400 for a rule like "already on this team", the sign-in redirect or 401 for
  anonymous) and every table, the audit log included, exactly as before.

Because everything belongs to ada, each other persona's cell on an `{id}` route is also an
IDOR check; `IDOR` adds the cases where ids are mixed across people or ideas, `UNKNOWN`
sends an id that does not exist (404, never 500). `test_every_route_has_a_row` fails as
soon as the app grows a route the matrix does not cover.

Speed: the database is emptied, the app built and the personas signed in once for this
module (the conftest does all three per test, which costs a second a cell on a busy
machine). Cells stay apart all the same: a row's things are kept for its next cell only
while the snapshot proves nothing changed, and no cell changes a persona's own standing
(roles go to a newcomer, profiles keep their names).
"""

from __future__ import annotations

import asyncio
import functools
import re
import shutil
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from incubator.app import create_app
from tests.conftest import _DATA_DIR, Browser, Persona, _fresh_database
from tests.gates.helpers import GO
from tests.security.matrix_support import (
    ANONYMOUS,
    PERSONA_KEYS,
    UNSUBSCRIBE_KIND,
    Scene,
    Snapshot,
    make_personas,
    marks,
    snapshot,
)

T = TypeVar("T")
BASE_URL = "http://testserver.local"
LOGIN = -1  # anonymous on a page: 303 to /login?next=…
MEMBERS = frozenset(PERSONA_KEYS) - {ANONYMOUS}
EVERYONE = frozenset(PERSONA_KEYS)
TEAM = frozenset({"ada", "bob"})
STEWARDS = frozenset({"cleo", "ida"})
LEADERS = frozenset({"dan", "ida"})
OVERSIGHT = frozenset({"cleo", "dan", "ida"})
ADMINS = frozenset({"ida"})
NOBODY: frozenset[str] = frozenset()
VOTE = {"decision": "go", "rationale": "Worth a try."} | {f"score_{k}": v for k, v in GO.items()}
IDEA_FORM = {"title": "A faster refund form", "summary": "Refunds in one step."}
CHALLENGE_FORM = {
    "title": "How might we delight customers?",
    "problem": "Customers wait too long.",
    "source": "internal",
}
UNKNOWN_ID = "987654"


@dataclass(frozen=True)
class Row:
    """One route (one variant of it) and who may use it.

    `url` and `data` name the scene's things in braces (`{idea}`, `{comment}`…), made
    for the row and made again after any cell that changed them; `refused` gives the
    answer where it is not 403 (members) or the sign-in redirect (anonymous); `same_for`
    lists allowed personas with nothing to change (e.g. marking an empty inbox read)."""

    method: str
    route: str  # the app's path, parameters without their type: /ideas/{idea_id}
    allowed: frozenset[str]
    url: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    htmx: bool = False
    refused: Mapping[str, int] = field(default_factory=dict)
    same_for: frozenset[str] = NOBODY
    personas: tuple[str, ...] = PERSONA_KEYS
    needs: tuple[str, ...] = ()  # things to make though no placeholder names them
    untouched: tuple[str, ...] = ()  # tables an allowed cell must leave as they were

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    @property
    def name(self) -> str:
        return self.key + (f" [{self.label}]" if self.label else "")

    def expected(self, persona: str) -> int | None:
        """None when allowed, else the status the persona must get."""
        if persona in self.allowed:
            return None
        if persona in self.refused:
            return self.refused[persona]
        if persona == ANONYMOUS:
            return 401 if self.route.startswith("/api/") else LOGIN
        return 403


def post(route: str, allowed: frozenset[str], **options: Any) -> Row:
    return Row("POST", route, allowed, **options)


def get(route: str, allowed: frozenset[str] = MEMBERS, **options: Any) -> Row:
    return Row("GET", route, allowed, **options)


def on_team(status: int) -> dict[str, int]:
    return {"ada": status, "bob": status}


MATRIX: list[Row] = [
    # --- accounts and administration
    post(
        "/profile",
        MEMBERS,
        data={
            "name": "{my_name}",
            "department": "{my_department}",
            "skills": "testing",
            "bio": "Hi.",
            "locale": "en",
        },
    ),
    post("/profile/tokens", MEMBERS, data={"token_name": "my script"}),
    # Someone else's token is not found: its owner alone knows it exists.
    post(
        "/profile/tokens/{token_id}/revoke",
        frozenset({"ada"}),
        url="/profile/tokens/{token}/revoke",
        refused=dict.fromkeys(MEMBERS - {"ada"}, 404),
    ),
    post(
        "/admin/people/{person_id}/roles",
        ADMINS,
        url="/admin/people/{newcomer}/roles",
        data={"roles": "steward"},
    ),
    post("/admin/pipelines", STEWARDS, data={"name": "Hardware lab"}),
    post("/admin/pipelines/{pipeline_id}", STEWARDS, url="/admin/pipelines/{pipeline}"),
    # --- challenges
    post("/challenges/new", MEMBERS, data=CHALLENGE_FORM),
    post(
        "/challenges/{challenge_id}/edit",
        frozenset({"ada"}) | STEWARDS,
        url="/challenges/{challenge}/edit",
        data=CHALLENGE_FORM,
    ),
    post(
        "/challenges/{challenge_id}/status",
        frozenset({"ada"}) | STEWARDS,
        url="/challenges/{challenge}/status",
        data={"status": "closed"},
        label="close",
    ),
    post(
        "/challenges/{challenge_id}/status",
        STEWARDS,
        url="/challenges/{closed_challenge}/status",
        data={"status": "archived"},
        label="archive: stewards only, not even the author",
    ),
    post(
        "/challenges/{challenge_id}/pipeline",
        STEWARDS,
        url="/challenges/{challenge}/pipeline",
        data={"pipeline_id": "{pipeline}"},
    ),
    post("/challenges/{challenge_id}/follow", MEMBERS, url="/challenges/{challenge}/follow"),
    post(
        "/challenges/{challenge_id}/comments",
        MEMBERS,
        url="/challenges/{challenge}/comments",
        data={"body": "Have we asked the call centre?"},
    ),
    # --- ideas
    post("/ideas/new", MEMBERS, data=IDEA_FORM),
    post(
        "/ideas/{idea_id}/edit",
        TEAM | STEWARDS,
        url="/ideas/{idea}/edit",
        data=IDEA_FORM | {"description": "Now with a plan."},
    ),
    # An author's own enthusiasm is taken as read.
    post("/ideas/{idea_id}/support", MEMBERS - {"ada"}, url="/ideas/{idea}/support"),
    post("/ideas/{idea_id}/follow", MEMBERS, url="/ideas/{idea}/follow"),
    post(
        "/ideas/{idea_id}/comments",
        MEMBERS,
        url="/ideas/{idea}/comments",
        data={"body": "Could it work for exchanges too?"},
    ),
    post(
        "/ideas/{idea_id}/merge",
        STEWARDS,
        url="/ideas/{idea}/merge",
        data={"into_id": "{other_idea}"},
    ),
    # --- teams
    post(
        "/ideas/{idea_id}/roles",
        TEAM,
        url="/ideas/{idea}/roles",
        data={"skill": "data", "description": "Measure it"},
    ),
    post(
        "/ideas/{idea_id}/roles/{role_id}/filled",
        TEAM,
        url="/ideas/{idea}/roles/{role}/filled",
        data={"filled": "1"},
    ),
    # The team is already on it: a rule of the domain, not a missing right.
    post(
        "/ideas/{idea_id}/join",
        MEMBERS - TEAM,
        url="/ideas/{idea}/join",
        data={"message": "I know the data"},
        refused=on_team(400),
    ),
    post(
        "/ideas/{idea_id}/join-requests/{request_id}/accept",
        TEAM,
        url="/ideas/{idea}/join-requests/{join_request}/accept",
    ),
    post(
        "/ideas/{idea_id}/join-requests/{request_id}/decline",
        TEAM,
        url="/ideas/{idea}/join-requests/{join_request}/decline",
    ),
    post("/ideas/{idea_id}/leave", TEAM, url="/ideas/{idea}/leave"),
    # --- gates
    post("/ideas/{idea_id}/gate", TEAM, url="/ideas/{idea}/gate"),
    # The idea's team cannot vote on it (bob is on no panel: team members are never drawn).
    post("/gates/{round_id}/votes", MEMBERS - TEAM, url="/gates/{round}/votes", data=VOTE),
    post("/gates/{round_id}/decide", STEWARDS, url="/gates/{due_round}/decide"),
    # --- comments
    post(
        "/comments/{comment_id}/edit",
        frozenset({"ada"}),
        url="/comments/{comment}/edit",
        data={"body": "Mine, reworded."},
    ),
    post(
        "/comments/{comment_id}/delete",
        frozenset({"ada"}) | STEWARDS,
        url="/comments/{comment}/delete",
    ),
    # --- insights
    post(
        "/insights/new",
        MEMBERS,
        data={"quote": "Too slow.", "channel": "phone", "segment": "", "sentiment": "complaint"},
    ),
    post("/insights/{insight_id}/seen", MEMBERS, url="/insights/{insight}/seen"),
    post(
        "/insights/{insight_id}/links",
        MEMBERS,
        url="/insights/{insight}/links",
        data={"challenge_id": "{challenge}"},
    ),
    # --- notifications (each person's own)
    # ada's idea gives ada (a join request) and bob (accepted) something unread.
    post("/notifications/read", MEMBERS, needs=("idea",), same_for=MEMBERS - TEAM),
    post("/notifications/preferences", MEMBERS, data={f"pref_{UNSUBSCRIBE_KIND}": "digest"}),
    # The link from an e-mail is its own key: whoever holds it may use it, signed in or not.
    post("/notifications/unsubscribe", EVERYONE, data={"token": "{unsubscribe}"}),
    # --- pages anyone signed in may read (common knowledge)
    get("/"),
    get("/people"),
    get("/people/{person_id}", url="/people/{ada}"),
    get("/profile"),
    get("/challenges"),
    get("/challenges/new"),
    get("/challenges/{challenge_id}", url="/challenges/{challenge}"),
    get("/ideas"),
    get("/ideas/new"),
    get("/ideas/similar", url="/ideas/similar?title=refund"),
    get("/ideas/{idea_id}", url="/ideas/{idea}"),
    get("/ideas/{idea_id}/support", url="/ideas/{idea}/support", htmx=True),
    get("/gates"),
    get("/gates/{round_id}", url="/gates/{round}"),
    get("/gates/{round_id}/progress", url="/gates/{round}/progress"),
    get("/insights"),
    get("/insights/new"),
    get("/insights/{insight_id}", url="/insights/{insight}"),
    get("/pipeline"),
    get("/notifications"),
    get("/notifications/count"),
    get("/notifications/preferences"),
    get(
        "/notifications/unsubscribe", EVERYONE, url="/notifications/unsubscribe?token={unsubscribe}"
    ),
    get("/api/v1/ideas"),
    get("/api/v1/ideas/{idea_id}", url="/api/v1/ideas/{idea}"),
    get("/api/v1/challenges"),
    get("/api/v1/pipeline"),
    # --- edit forms: the same people as the edit itself
    get(
        "/challenges/{challenge_id}/edit",
        frozenset({"ada"}) | STEWARDS,
        url="/challenges/{challenge}/edit",
    ),
    get("/ideas/{idea_id}/edit", TEAM | STEWARDS, url="/ideas/{idea}/edit"),
    get("/comments/{comment_id}/edit", frozenset({"ada"}), url="/comments/{comment}/edit"),
    # --- reserved pages
    get("/pipeline/people", LEADERS),
    get("/pipeline.csv", LEADERS),
    get("/pipeline/rounds.csv", LEADERS),
    get("/pipeline/votes.csv", LEADERS),
    get("/admin/audit", OVERSIGHT),
    get("/admin/people", ADMINS),
    get("/admin/pipelines", STEWARDS),
    get(
        "/ideas/{idea_id}/merge-candidates",
        STEWARDS,
        url="/ideas/{idea}/merge-candidates",
        htmx=True,
    ),
    get("/admin/pipelines/{pipeline_id}", STEWARDS, url="/admin/pipelines/{default_pipeline}"),
]

# Routes with no row, and why.
EXCLUDED = {
    "GET /login": "the sign-in form: for anonymous visitors by design",
    "POST /login": "signing in: tests/accounts covers throttling and failures",
    "GET /register": "the sign-up form: for anonymous visitors by design",
    "POST /register": "signing up: anyone may; tests/accounts covers it",
    "POST /logout": "ends the caller's own session only; would sign the module's personas out",
    "POST /locale": "the language switcher: the caller's own setting, anonymous too",
    "GET /healthz": "liveness probe: public, reads nothing private",
    "GET /events": "the live event stream: never ends, carries only 'something changed'",
    "GET /static/{file_path}": "static assets: public",
    "GET /schema": "the OpenAPI schema: public documentation",
    "GET /schema/openapi.json": "the OpenAPI schema: public documentation",
    "GET /schema/{path}": "the OpenAPI schema's other renderings: public documentation",
}


# Another person's id, or ids mixed across ideas: refused, and nothing changes.
IDOR: list[Row] = [
    post(
        "/admin/people/{person_id}/roles",
        NOBODY,
        url="/admin/people/{eve}/roles",
        data={"roles": "admin"},
        label="promoting oneself",
        personas=("eve", "cleo", "dan"),
    ),
    post(
        "/ideas/{idea_id}/join-requests/{request_id}/accept",
        NOBODY,
        url="/ideas/{other_idea}/join-requests/{join_request}/accept",
        refused={"eve": 404},
        label="eve, on her own idea's team, accepts a request made to ada's idea",
        personas=("eve",),
    ),
    post(
        "/ideas/{idea_id}/join-requests/{request_id}/decline",
        NOBODY,
        url="/ideas/{idea}/join-requests/{other_join_request}/decline",
        refused={"ada": 404},
        label="ada declines a request made to eve's idea through her own idea",
        personas=("ada",),
    ),
    post(
        "/ideas/{idea_id}/roles/{role_id}/filled",
        NOBODY,
        url="/ideas/{other_idea}/roles/{role}/filled",
        data={"filled": "1"},
        refused={"eve": 404},
        label="eve marks ada's role filled through her own idea",
        personas=("eve",),
    ),
    post(
        "/ideas/{idea_id}/comments",
        NOBODY,
        url="/ideas/{idea}/comments",
        data={"body": "A reply", "parent_id": "{other_comment}"},
        refused={"eve": 400},
        label="replying to a comment of another idea",
        personas=("eve",),
    ),
    post(
        "/notifications/unsubscribe",
        NOBODY,
        data={"token": "{forged_unsubscribe}"},
        refused=dict.fromkeys(PERSONA_KEYS, 400),
        label="eve's link signature with ada's id",
        personas=(ANONYMOUS, "eve"),
    ),
    post(
        "/admin/pipelines/{pipeline_id}",
        STEWARDS,
        url="/admin/pipelines/{pipeline}",
        data={
            "stage_{other_stage}_name_en": "Hijacked",
            "stage_{other_stage}_name_fr": "Détourné",
            "gate_{other_gate}_quorum": "1",
            "gate_{other_gate}_threshold": "50",
            "gate_{other_gate}_window_days": "1",
            "criterion_{other_criterion}_name_en": "Hijacked",
            "criterion_{other_criterion}_name_fr": "Détourné",
            "criterion_{other_criterion}_weight": "9",
        },
        untouched=("stage", "gate", "criterion"),
        label="a steward saving one pipeline with another pipeline's stage, gate, criterion",
        personas=("cleo",),
    ),
    post(
        "/notifications/read",
        frozenset({"eve"}),
        needs=("idea",),
        same_for=frozenset({"eve"}),
        label="eve's inbox only: ada's and bob's unread notifications stay unread",
        personas=("eve",),
    ),
]


def unknown(route: str, persona: str, url: str, method: str = "POST", **options: Any) -> Row:
    """An id that does not exist, for a persona who could act if it did: 404, not 500."""
    missing = [
        pattern.strip("{}")
        for part, pattern in zip(url.split("/"), route.split("/"), strict=True)
        if part == UNKNOWN_ID
    ]
    return Row(
        method,
        route,
        NOBODY,
        url=url,
        refused={persona: 404},
        label="unknown " + ", ".join(missing),
        personas=(persona,),
        **options,
    )


U = UNKNOWN_ID
UNKNOWN: list[Row] = [
    unknown("/profile/tokens/{token_id}/revoke", "ada", f"/profile/tokens/{U}/revoke"),
    unknown(
        "/admin/people/{person_id}/roles",
        "ida",
        f"/admin/people/{U}/roles",
        data={"roles": "steward"},
    ),
    unknown("/admin/pipelines/{pipeline_id}", "cleo", f"/admin/pipelines/{U}"),
    unknown("/admin/pipelines/{pipeline_id}", "cleo", f"/admin/pipelines/{U}", "GET"),
    unknown("/challenges/{challenge_id}", "eve", f"/challenges/{U}", "GET"),
    unknown("/challenges/{challenge_id}/edit", "cleo", f"/challenges/{U}/edit", "GET"),
    unknown(
        "/challenges/{challenge_id}/edit", "cleo", f"/challenges/{U}/edit", data=CHALLENGE_FORM
    ),
    unknown(
        "/challenges/{challenge_id}/status",
        "cleo",
        f"/challenges/{U}/status",
        data={"status": "closed"},
    ),
    unknown("/challenges/{challenge_id}/pipeline", "cleo", f"/challenges/{U}/pipeline"),
    unknown("/challenges/{challenge_id}/follow", "eve", f"/challenges/{U}/follow"),
    unknown(
        "/challenges/{challenge_id}/comments",
        "eve",
        f"/challenges/{U}/comments",
        data={"body": "Hi"},
    ),
    unknown("/ideas/{idea_id}", "eve", f"/ideas/{U}", "GET"),
    unknown("/ideas/{idea_id}/edit", "cleo", f"/ideas/{U}/edit", "GET"),
    unknown("/ideas/{idea_id}/edit", "cleo", f"/ideas/{U}/edit", data=IDEA_FORM),
    unknown("/ideas/{idea_id}/support", "eve", f"/ideas/{U}/support", "GET", htmx=True),
    unknown("/ideas/{idea_id}/support", "eve", f"/ideas/{U}/support"),
    unknown(
        "/ideas/{idea_id}/merge-candidates",
        "cleo",
        f"/ideas/{U}/merge-candidates",
        "GET",
        htmx=True,
    ),
    unknown("/ideas/{idea_id}/follow", "eve", f"/ideas/{U}/follow"),
    unknown("/ideas/{idea_id}/comments", "eve", f"/ideas/{U}/comments", data={"body": "Hi"}),
    unknown("/ideas/{idea_id}/merge", "cleo", f"/ideas/{U}/merge", data={"into_id": "{idea}"}),
    unknown("/ideas/{idea_id}/roles", "ada", f"/ideas/{U}/roles", data={"skill": "data"}),
    unknown("/ideas/{idea_id}/roles/{role_id}/filled", "ada", f"/ideas/{U}/roles/{{role}}/filled"),
    unknown("/ideas/{idea_id}/roles/{role_id}/filled", "ada", f"/ideas/{{idea}}/roles/{U}/filled"),
    unknown("/ideas/{idea_id}/join", "eve", f"/ideas/{U}/join", data={"message": "Hi"}),
    unknown(
        "/ideas/{idea_id}/join-requests/{request_id}/accept",
        "ada",
        f"/ideas/{U}/join-requests/{{join_request}}/accept",
    ),
    unknown(
        "/ideas/{idea_id}/join-requests/{request_id}/accept",
        "ada",
        f"/ideas/{{idea}}/join-requests/{U}/accept",
    ),
    unknown(
        "/ideas/{idea_id}/join-requests/{request_id}/decline",
        "ada",
        f"/ideas/{U}/join-requests/{{join_request}}/decline",
    ),
    unknown(
        "/ideas/{idea_id}/join-requests/{request_id}/decline",
        "ada",
        f"/ideas/{{idea}}/join-requests/{U}/decline",
    ),
    unknown("/ideas/{idea_id}/leave", "ada", f"/ideas/{U}/leave"),
    unknown("/ideas/{idea_id}/gate", "ada", f"/ideas/{U}/gate"),
    unknown("/gates/{round_id}", "eve", f"/gates/{U}", "GET"),
    unknown("/gates/{round_id}/progress", "eve", f"/gates/{U}/progress", "GET"),
    unknown("/gates/{round_id}/votes", "eve", f"/gates/{U}/votes", data=VOTE),
    unknown("/gates/{round_id}/decide", "cleo", f"/gates/{U}/decide"),
    unknown("/comments/{comment_id}/edit", "ada", f"/comments/{U}/edit", "GET"),
    unknown("/comments/{comment_id}/edit", "ada", f"/comments/{U}/edit", data={"body": "Hi"}),
    unknown("/comments/{comment_id}/delete", "cleo", f"/comments/{U}/delete"),
    unknown("/insights/{insight_id}", "eve", f"/insights/{U}", "GET"),
    unknown("/insights/{insight_id}/seen", "eve", f"/insights/{U}/seen"),
    unknown(
        "/insights/{insight_id}/links",
        "eve",
        f"/insights/{U}/links",
        data={"challenge_id": "{challenge}"},
    ),
    unknown("/people/{person_id}", "eve", f"/people/{U}", "GET"),
    unknown("/api/v1/ideas/{idea_id}", "eve", f"/api/v1/ideas/{U}", "GET"),
]


def cells(rows: list[Row]) -> list[Any]:
    """One test per (row, persona). Refusals run first: they change nothing, so they all
    share the row's first scene (see `_KEPT`), and each allowed write then gets its own."""
    return [
        pytest.param(row, persona, id=f"{row.name}-{persona}")
        for row in rows
        for persona in sorted(row.personas, key=lambda key: row.expected(key) is None)
    ]


# --- fixtures: one database, one app and signed-in personas for the whole module --------


@pytest.fixture(scope="module")
def _module_database() -> None:
    asyncio.run(_fresh_database())
    shutil.rmtree(_DATA_DIR / "stores", ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_state(_module_database: None) -> None:
    """Overrides the conftest's per-test emptying: see the module's docstring."""


@pytest.fixture(scope="module")
def matrix_client(_module_database: None) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(), base_url=BASE_URL) as client:
        yield client


@pytest.fixture(scope="module")
def call(matrix_client: TestClient[Litestar]) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine on the app's own event loop (where its connection pool lives)."""

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        async def wrapper() -> T:
            return await coroutine

        return matrix_client.blocking_portal.call(wrapper)

    return run


@pytest.fixture(scope="module")
def people(call: Callable[[Coroutine[Any, Any, Any]], Any]) -> dict[str, Persona]:
    made: dict[str, Persona] = call(make_personas())
    return made


@pytest.fixture(scope="module")
def browsers(matrix_client: TestClient[Litestar], people: dict[str, Persona]) -> dict[str, Browser]:
    """Each persona's own browser, signed in once; anonymous stays signed out."""
    signed: dict[str, Browser] = {}
    for key in PERSONA_KEYS:
        client: TestClient[Litestar] = TestClient(app=matrix_client.app, base_url=BASE_URL)
        client.blocking_portal = matrix_client.blocking_portal
        signed[key] = Browser(client)
        if key != ANONYMOUS:
            signed[key].login(people[key].email)
    return signed


# --- the cell ----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A row's scene, kept for its next cell while its cells change nothing (a refusal, a page):
# the snapshot proved the database is as the scene left it. Any change, or a failure,
# and the next cell builds a fresh one.
_KEPT: dict[str, tuple[Scene, Snapshot]] = {}


async def _fill(scene: Scene, template: str, me: Persona | None) -> str:
    filled = template
    for name in _PLACEHOLDER.findall(template):
        if name in {"my_name", "my_department"}:
            value: int | str = getattr(me, name.removeprefix("my_")) if me else ""
        else:
            value = await scene.get(name)
        filled = filled.replace("{" + name + "}", str(value))
    return filled


def exercise(
    row: Row,
    persona: str,
    browsers: dict[str, Browser],
    people: dict[str, Persona],
    call: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    me = people.get(persona)
    if row.name in _KEPT:
        scene, start = _KEPT.pop(row.name)
    else:
        scene, start = Scene(people), call(marks())

    async def prepare() -> tuple[str, dict[str, str]]:
        for name in row.needs:
            await scene.get(name)
        url = await _fill(scene, row.url or row.route, me)
        data = {
            await _fill(scene, name, me): await _fill(scene, value, me)
            for name, value in row.data.items()
        }
        return url, data

    url, data = call(prepare())
    before: Snapshot = call(snapshot(start))
    browser = browsers[persona]
    if row.method == "GET":
        response = browser.get(url, htmx=row.htmx)
    else:
        response = browser.post(url, data, htmx=row.htmx)
    after: Snapshot = call(snapshot(start))
    changes = before.differences(after)
    where = f"{row.method} {url} as {persona}: {response.status_code}"
    expected = row.expected(persona)

    if expected is None:
        location = response.headers.get("location", "")
        assert 200 <= response.status_code < 300 or (
            response.status_code == 303 and not location.startswith("/login")
        ), f"{where}, expected success; {response.text[:300]}"
        if row.method == "GET" or persona in row.same_for:
            assert not changes, f"{where} should change nothing, but: {changes}"
        else:
            assert changes, f"{where} answered success but changed nothing"
        for table in row.untouched:
            assert before.rows[table] == after.rows[table], f"{where} changed {table}"
    else:
        if expected == LOGIN and row.htmx:  # htmx is told where to go instead
            assert response.status_code == 401, f"{where}, expected htmx's sign-in answer"
            assert response.headers["hx-redirect"].startswith("/login?next="), where
        elif expected == LOGIN:
            assert response.status_code == 303, f"{where}, expected the sign-in redirect"
            assert response.headers["location"].startswith("/login?next="), where
        else:
            assert response.status_code == expected, f"{where}, expected {expected}"
        assert not changes, f"{where} was refused but changed: {changes}"
        assert before.audit == after.audit
    if not changes:
        _KEPT[row.name] = (scene, start)


@pytest.mark.parametrize(("row", "persona"), cells(MATRIX))
def test_matrix(
    row: Row,
    persona: str,
    browsers: dict[str, Browser],
    people: dict[str, Persona],
    call: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    exercise(row, persona, browsers, people, call)


@pytest.mark.parametrize(("row", "persona"), cells(IDOR))
def test_idor(
    row: Row,
    persona: str,
    browsers: dict[str, Browser],
    people: dict[str, Persona],
    call: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    exercise(row, persona, browsers, people, call)


@pytest.mark.parametrize(("row", "persona"), cells(UNKNOWN))
def test_unknown_id(
    row: Row,
    persona: str,
    browsers: dict[str, Browser],
    people: dict[str, Persona],
    call: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    exercise(row, persona, browsers, people, call)


def test_an_inbox_shows_its_owner_only(
    browsers: dict[str, Browser],
    people: dict[str, Persona],
    call: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    """eve cannot read ada's notifications: bob's request to join ada's idea is in ada's
    inbox and bob's acceptance in his, and neither is in eve's (nor in her unread count)."""
    scene = Scene(people)
    title = str(call(scene.get("idea_title")))
    unread_before = browsers["eve"].get("/notifications/count").text
    assert title in browsers["ada"].get("/notifications").text
    assert title in browsers["bob"].get("/notifications").text
    assert title not in browsers["eve"].get("/notifications").text
    assert browsers["eve"].get("/notifications/count").text == unread_before


# --- completeness ------------------------------------------------------------------------


@functools.cache
def app_routes() -> frozenset[str]:
    """Every method and path the app answers (OPTIONS and HEAD come with GET/any route)."""
    found: set[str] = set()
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found.add(f"{method} {path}")
    return frozenset(found)


def test_every_route_has_a_row() -> None:
    routes = app_routes()
    rows = {row.key for row in MATRIX}
    missing = sorted(routes - rows - set(EXCLUDED))
    assert not missing, f"routes with no row in the authorization matrix: {missing}"
    gone = sorted((rows | set(EXCLUDED)) - routes)
    assert not gone, f"rows for routes the app no longer has: {gone}"
    assert not rows & set(EXCLUDED), "a route is both in the matrix and excluded"


def test_every_id_in_a_route_has_an_unknown_id_case() -> None:
    """Each `{id}` of each route (outside the exclusions) is tried with an id that does not
    exist; each row of the matrix runs all seven personas."""
    wanted = {
        (key, name)
        for key in app_routes() - set(EXCLUDED)
        for name in re.findall(r"\{(\w+)\}", key)
    }
    tried = {(row.key, row.label.removeprefix("unknown ")) for row in UNKNOWN}
    assert sorted(wanted - tried) == []


def test_each_row_is_told_apart_and_runs_every_persona_of_the_matrix() -> None:
    names = [row.name for row in MATRIX + IDOR + UNKNOWN]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []
    assert all(row.personas == PERSONA_KEYS for row in MATRIX)
