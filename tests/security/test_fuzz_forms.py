"""Every form the app accepts, fuzzed through the real app: hostile text (NUL and other
control characters, RTL marks, astral and lone-surrogate code points, huge strings),
wrong types where a number, date or enum is expected, duplicated and missing fields.

For each example: never a 5xx; a 4xx leaves every table (the audit log and the search
index included) exactly as it was; a success saved one whole object — its tags, search
row, membership and audit entry with it — and nothing else.

The database is emptied per test, not per example: each test builds its world once and
compares row-count snapshots around every request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incubator.accounts.roles import ALL_ROLES
from incubator.accounts.tables import Person
from incubator.app import create_app
from incubator.challenges.tables import Challenge, ChallengeTag
from incubator.gates import services as gates
from incubator.gates.pipelines import ensure_default_pipeline
from incubator.gates.tables import Criterion, Gate, Stage
from incubator.ideas.tables import Idea, IdeaTag
from incubator.insights import services as insights
from incubator.notifications.delivery import unsubscribe_token
from incubator.notifications.messages import KINDS
from incubator.notifications.tables import NotificationPreference
from incubator.settings import get_settings
from incubator.tags import parse_tags
from incubator.web.forms import parse_id
from tests import factories
from tests.conftest import PASSWORD, Browser, Persona, Run
from tests.gates.helpers import idea_with_team
from tests.security.fuzz_support import (
    Pairs,
    assert_local,
    delta,
    first,
    form,
    numberish,
    post_raw,
    snapshot,
    text,
    valid_or,
)

EXAMPLES = 15
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# Each group below builds its world once (emptying the database, six sign-ins, the app)
# and runs its forms' fuzzers one after the other, in an order where each leaves the
# world usable by the next.


def received(value: str) -> str:
    """What the app reads for a value we sent: invalid UTF-8 (lone surrogates) decoded as
    U+FFFD, NUL dropped (databases refuse it in text), surrounding space stripped."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")


@dataclass
class World:
    people: dict[str, Persona]
    browsers: dict[str, Browser]
    challenge_id: int
    idea_id: int
    other_idea_id: int
    round_id: int
    insight_id: int
    comment_id: int
    pipeline_id: int
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def world(personas: dict[str, Persona], run: Run, new_browser: Callable[..., Browser]) -> World:
    async def build() -> dict[str, int]:
        ada = await factories.actor(personas["ada"].id)
        challenge_id = await factories.challenge(personas["ada"].id, tags="Retail, ops")
        idea_id = await idea_with_team(
            personas["ada"].id, personas["bob"].id, challenge_id=str(challenge_id)
        )
        other = await factories.idea(personas["dan"].id, title="Another idea")
        round_id = await gates.submit_to_gate(ada, idea_id)
        dan = await factories.actor(personas["dan"].id)
        insight_id = await insights.log_insight(
            dan, insights.InsightDraft("It takes ages", "phone", "SMB", "complaint")
        )
        bob = await factories.actor(personas["bob"].id)
        from incubator.ideas import services as ideas

        comment_id = await ideas.comment_on_idea(bob, idea_id, "First!", None)
        return {
            "challenge": challenge_id,
            "idea": idea_id,
            "other": other,
            "round": round_id,
            "insight": insight_id,
            "comment": comment_id,
            "pipeline": await ensure_default_pipeline(),
        }

    ids = run(build())
    browsers = {}
    for key in ("ida", "ada", "bob", "cleo", "dan", "eve"):
        browsers[key] = new_browser()
        browsers[key].login(personas[key].email)
    browsers["anonymous"] = new_browser()
    return World(
        people=personas,
        browsers=browsers,
        challenge_id=ids["challenge"],
        idea_id=ids["idea"],
        other_idea_id=ids["other"],
        round_id=ids["round"],
        insight_id=ids["insight"],
        comment_id=ids["comment"],
        pipeline_id=ids["pipeline"],
    )


Check = Callable[[Run, World, Any, Pairs, dict[str, int]], None]


def exercise(
    run: Run,
    world: World,
    who: str,
    url: str,
    pairs: Pairs,
    *,
    allowed: Mapping[str, range],
    check: Check | None = None,
    htmx: bool = False,
) -> Any:
    """Post the form and hold the app to the contract; `allowed` is how many rows each
    table may gain on success (every other table must stay as it was)."""
    before = snapshot(run)
    response = post_raw(
        world.browsers[who], url, pairs, headers={"HX-Request": "true"} if htmx else None
    )
    after = snapshot(run)
    changed = delta(before, after)
    status = response.status_code
    assert status < 500, (url, pairs, response.text[:500])
    if status >= 400:
        assert changed == {}, (url, status, changed, pairs)
        return response
    assert status in {200, 303}, (url, status)
    for table, rows in changed.items():
        assert table in allowed, (url, changed, pairs)
        assert rows in allowed[table], (url, changed, pairs)
    if check is not None:
        check(run, world, response, pairs, changed)
    return response


def created_id(response: Any, prefix: str) -> int:
    location = response.headers.get("location") or response.headers.get("hx-redirect")
    assert location, response.headers
    assert location.startswith(prefix), location
    return int(location[len(prefix) :].split("#")[0].split("/")[0])


ONE = range(1, 2)
MAYBE = range(0, 2)
SOME = range(0, 100)
TAGS = range(0, 11)

tags_text = st.one_of(
    text,
    st.lists(
        st.sampled_from(["ops", "Retail", " é ", "\U0001f984", "x" * 41, ""]), max_size=14
    ).map(", ".join),
)
dates = st.one_of(st.dates().map(str), numberish, text)


# --- accounts ---------------------------------------------------------------------------


def _registered(
    run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]
) -> None:
    assert changed.get("person") == 1
    assert changed.get("audit_event") == 1
    email = received(first(pairs, "email")).strip().lower()
    row = run(Person.select(Person.name).where(Person.email == email).first().run())
    assert row is not None
    assert row["name"] == received(first(pairs, "name")).strip()


@FUZZ
@given(
    pairs=form(
        {
            "email": valid_or(st.uuids().map(lambda u: f"{u.hex[:12]}@example.com"), 2),
            "name": valid_or(st.just("Zoé Ça"), 2),
            "password": valid_or(st.just(PASSWORD), 3),
            "department": valid_or(st.sampled_from(["Ventes", "R&D"]), 2),
        }
    )
)
def fuzz_register(world: World, run: Run, pairs: Pairs) -> None:
    allowed = {"person": ONE, "audit_event": ONE, "department": MAYBE}
    exercise(run, world, "anonymous", "/register", pairs, allowed=allowed, check=_registered)


@FUZZ
@given(
    pairs=form(
        {
            "email": valid_or(st.sampled_from(["ada@example.com", "ADA@example.com "]), 2),
            "password": valid_or(st.just(PASSWORD), 2),
            "next": valid_or(st.sampled_from(["/ideas", "//evil.example", "/\\evil"])),
        }
    )
)
def fuzz_login(world: World, run: Run, pairs: Pairs) -> None:
    response = exercise(run, world, "anonymous", "/login", pairs, allowed={})
    if response.status_code == 303:
        assert_local(response.headers["location"])


def _profile_saved(
    run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]
) -> None:
    from incubator.accounts import queries

    profile = run(queries.person_profile(world.people["ada"].id))
    assert profile is not None
    assert profile["name"] == received(first(pairs, "name")).strip()
    assert profile["bio"] == received(first(pairs, "bio")).strip()
    assert sorted(profile["skills"]) == sorted(parse_tags(received(first(pairs, "skills"))))


@FUZZ
@given(
    pairs=form(
        {
            "name": valid_or(st.just("Ada Lovelace"), 2),
            "department": valid_or(st.just("Marketing"), 2),
            "skills": valid_or(tags_text),
            "bio": text,
            "locale": valid_or(st.sampled_from(["en", "fr"]), 3),
        }
    )
)
def fuzz_profile(world: World, run: Run, pairs: Pairs) -> None:
    allowed = {"department": MAYBE, "skill": SOME, "person_skill": range(-20, 21)}
    exercise(run, world, "ada", "/profile", pairs, allowed=allowed, check=_profile_saved)


@FUZZ
@given(pairs=form({"token_name": valid_or(st.just("my script"))}))
def fuzz_api_token(world: World, run: Run, pairs: Pairs) -> None:
    exercise(run, world, "ada", "/profile/tokens", pairs, allowed={"api_token": ONE})


@FUZZ
@given(
    pairs=form({"roles": valid_or(st.sampled_from(sorted(r.value for r in ALL_ROLES)), 3)}),
    target=st.sampled_from(["eve", "bob"]),
)
def fuzz_admin_roles(world: World, run: Run, pairs: Pairs, target: str) -> None:
    url = f"/admin/people/{world.people[target].id}/roles"
    exercise(run, world, "ida", url, pairs, allowed={"audit_event": MAYBE})


@FUZZ
@given(pairs=form({"locale": valid_or(st.sampled_from(["en", "fr"])), "next": text}))
def fuzz_locale_switch(world: World, run: Run, pairs: Pairs) -> None:
    response = exercise(run, world, "bob", "/locale", pairs, allowed={})
    assert_local(response.headers.get("location", "/"))


# --- challenges ---------------------------------------------------------------------------

CHALLENGE_FIELDS = {
    "title": valid_or(st.just("How might we ship faster?"), 2),
    "problem": valid_or(st.just("Too slow."), 2),
    "source": valid_or(st.sampled_from(["customer", "internal", "strategic"]), 2),
    "closes_on": st.one_of(st.just(""), dates),
    "tags": tags_text,
}


def _challenge_whole(
    run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]
) -> None:
    challenge_id = created_id(response, "/challenges/")
    row = run(Challenge.select(Challenge.title).where(Challenge.id == challenge_id).first().run())
    assert row is not None
    assert row["title"] == received(first(pairs, "title")).strip()
    tags = run(ChallengeTag.count().where(ChallengeTag.challenge == challenge_id).run())
    assert tags == len(parse_tags(received(first(pairs, "tags"))))
    assert changed.get("challenge_tag", 0) == tags


@FUZZ
@given(
    pairs=form({**CHALLENGE_FIELDS, "insight_ids": valid_or(st.just("1,2"))}),
    htmx=st.booleans(),
)
def fuzz_challenge_new(world: World, run: Run, pairs: Pairs, htmx: bool) -> None:
    allowed = {
        "challenge": ONE,
        "challenge_tag": TAGS,
        "follow": ONE,
        "audit_event": ONE,
        "insight_link": range(0, 21),
    }
    exercise(
        run,
        world,
        "eve",
        "/challenges/new",
        pairs,
        allowed=allowed,
        check=_challenge_whole,
        htmx=htmx,
    )


@FUZZ
@given(pairs=form(CHALLENGE_FIELDS))
def fuzz_challenge_edit(world: World, run: Run, pairs: Pairs) -> None:
    def saved(run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]) -> None:
        row = run(
            Challenge.select(Challenge.title)
            .where(Challenge.id == world.challenge_id)
            .first()
            .run()
        )
        assert row is not None
        assert row["title"] == received(first(pairs, "title")).strip()

    url = f"/challenges/{world.challenge_id}/edit"
    exercise(run, world, "ada", url, pairs, allowed={"challenge_tag": range(-10, 11)}, check=saved)


@FUZZ
@given(pairs=form({"status": valid_or(st.sampled_from(["open", "closed", "archived", "draft"]))}))
def fuzz_challenge_status(world: World, run: Run, pairs: Pairs) -> None:
    url = f"/challenges/{world.challenge_id}/status"
    exercise(run, world, "cleo", url, pairs, allowed={"audit_event": MAYBE})


@FUZZ
@given(pairs=form({"pipeline_id": valid_or(st.just("1"), 2)}))
def fuzz_challenge_pipeline(world: World, run: Run, pairs: Pairs) -> None:
    url = f"/challenges/{world.challenge_id}/pipeline"
    exercise(run, world, "cleo", url, pairs, allowed={"audit_event": ONE})


# --- ideas ----------------------------------------------------------------------------------


def idea_fields(world_challenge: st.SearchStrategy[str]) -> dict[str, st.SearchStrategy[str]]:
    return {
        "title": valid_or(st.just("A one-step refund"), 2),
        "summary": valid_or(st.just("Refund in one click."), 2),
        "description": st.one_of(st.just("**bold** [x](javascript:alert(1))"), text),
        "challenge_id": st.one_of(st.just(""), world_challenge, numberish),
        "tags": tags_text,
        "blind": st.one_of(st.sampled_from(["on", "1", "yes"]), text),
    }


def _idea_whole(
    run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]
) -> None:
    idea_id = created_id(response, "/ideas/")
    row = run(Idea.select(Idea.title, Idea.summary).where(Idea.id == idea_id).first().run())
    assert row is not None
    assert row["title"] == received(first(pairs, "title")).strip()
    assert row["summary"] == received(first(pairs, "summary")).strip()
    tags = run(
        IdeaTag.select(IdeaTag.tag).where(IdeaTag.idea == idea_id).order_by(IdeaTag.id).run()
    )
    assert [t["tag"] for t in tags] == parse_tags(received(first(pairs, "tags")))
    for table in ("idea", "idea_search", "team_member", "follow", "audit_event"):
        assert changed.get(table) == 1, (table, changed)


@FUZZ
@given(data=st.data(), htmx=st.booleans())
def fuzz_idea_new(world: World, run: Run, data: st.DataObject, htmx: bool) -> None:
    pairs = data.draw(form(idea_fields(st.just(str(world.challenge_id)))))
    allowed = {
        "idea": ONE,
        "idea_search": ONE,
        "idea_tag": TAGS,
        "team_member": ONE,
        "follow": ONE,
        "audit_event": ONE,
    }
    exercise(run, world, "eve", "/ideas/new", pairs, allowed=allowed, check=_idea_whole, htmx=htmx)


@FUZZ
@given(data=st.data())
def fuzz_idea_edit(world: World, run: Run, data: st.DataObject) -> None:
    pairs = data.draw(form(idea_fields(st.just(str(world.challenge_id)))))

    def saved(run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]) -> None:
        row = run(Idea.select(Idea.title).where(Idea.id == world.idea_id).first().run())
        assert row is not None
        assert row["title"] == received(first(pairs, "title")).strip()
        tags = run(
            IdeaTag.select(IdeaTag.tag)
            .where(IdeaTag.idea == world.idea_id)
            .order_by(IdeaTag.id)
            .run()
        )
        assert [t["tag"] for t in tags] == parse_tags(received(first(pairs, "tags")))

    url = f"/ideas/{world.idea_id}/edit"
    exercise(
        run,
        world,
        "ada",
        url,
        pairs,
        allowed={"idea_tag": range(-10, 11), "audit_event": MAYBE},
        check=saved,
    )


COMMENT_ALLOWED = {
    "comment": ONE,
    "follow": MAYBE,
    "notification": SOME,
    "outbox_message": SOME,
    "audit_event": MAYBE,
}


@FUZZ
@given(
    pairs=form(
        {"body": valid_or(st.just("Nice!"), 2), "parent_id": st.one_of(st.just(""), numberish)}
    ),
    subject=st.sampled_from(["ideas", "challenges"]),
    htmx=st.booleans(),
)
def fuzz_comment(world: World, run: Run, pairs: Pairs, subject: str, htmx: bool) -> None:
    subject_id = world.idea_id if subject == "ideas" else world.challenge_id
    url = f"/{subject}/{subject_id}/comments"
    exercise(run, world, "eve", url, pairs, allowed=COMMENT_ALLOWED, htmx=htmx)


@FUZZ
@given(pairs=form({"body": valid_or(st.just("Edited."), 2)}))
def fuzz_comment_edit(world: World, run: Run, pairs: Pairs) -> None:
    url = f"/comments/{world.comment_id}/edit"
    exercise(run, world, "bob", url, pairs, allowed={"audit_event": MAYBE})


@FUZZ
@given(pairs=form({"into_id": st.one_of(numberish, st.just("999999"))}))
def fuzz_merge(world: World, run: Run, pairs: Pairs) -> None:
    # Only refusals are fuzzed here (a merge into a real idea is a services test).
    pairs = [(name, value) for name, value in pairs if (parse_id(value) or 10**6) > 10**5]
    exercise(run, world, "cleo", f"/ideas/{world.other_idea_id}/merge", pairs, allowed={})


# --- teams ----------------------------------------------------------------------------------


@FUZZ
@given(
    pairs=form({"skill": valid_or(st.just("Data science"), 2), "description": text}),
    htmx=st.booleans(),
)
def fuzz_role_wanted(world: World, run: Run, pairs: Pairs, htmx: bool) -> None:
    url = f"/ideas/{world.idea_id}/roles"
    exercise(run, world, "ada", url, pairs, allowed={"role_wanted": ONE}, htmx=htmx)


@FUZZ
@given(pairs=form({"message": valid_or(st.just("Count me in")), "role_id": numberish}))
def fuzz_join(world: World, run: Run, pairs: Pairs) -> None:
    allowed = {"join_request": ONE, "notification": SOME, "outbox_message": SOME}
    exercise(run, world, "eve", f"/ideas/{world.idea_id}/join", pairs, allowed=allowed)


@FUZZ
@given(pairs=form({"filled": text}))
def fuzz_role_filled(world: World, run: Run, pairs: Pairs) -> None:
    from incubator.teams import services as teams

    if "role" not in world.ids:
        ada = run(factories.actor(world.people["ada"].id))
        world.ids["role"] = run(teams.add_role_wanted(ada, world.idea_id, "design", ""))
    url = f"/ideas/{world.idea_id}/roles/{world.ids['role']}/filled"
    exercise(run, world, "ada", url, pairs, allowed={})


# --- gates ----------------------------------------------------------------------------------

score = valid_or(st.sampled_from(["1", "3", "5"]), 3)


@FUZZ
@given(
    pairs=form(
        {
            "decision": valid_or(st.sampled_from(["go", "hold", "kill"]), 3),
            "score_customer_value": score,
            "score_feasibility": score,
            "score_strategic_fit": score,
            "rationale": valid_or(st.just("Because customers asked.")),
        }
    ),
    htmx=st.booleans(),
)
def fuzz_vote(world: World, run: Run, pairs: Pairs, htmx: bool) -> None:
    url = f"/gates/{world.round_id}/votes"
    exercise(run, world, "eve", url, pairs, allowed={"vote": MAYBE, "audit_event": ONE}, htmx=htmx)


@FUZZ
@given(pairs=form({"name": valid_or(st.just("Hardware"), 2)}))
def fuzz_pipeline_new(world: World, run: Run, pairs: Pairs) -> None:
    def whole(run: Run, world: World, response: Any, pairs: Pairs, changed: dict[str, int]) -> None:
        pipeline_id = created_id(response, "/admin/pipelines/")
        stages = run(Stage.count().where(Stage.pipeline == pipeline_id).run())
        gates_ = run(Gate.count().where(Gate.pipeline == pipeline_id).run())
        assert (stages, gates_) == (5, 4)
        assert changed["stage"] == 5
        assert changed["gate"] == 4
        assert changed["audit_event"] == 1

    allowed = {
        "pipeline": ONE,
        "stage": range(5, 6),
        "gate": range(4, 5),
        "criterion": range(1, 40),
        "audit_event": ONE,
    }
    exercise(run, world, "cleo", "/admin/pipelines", pairs, allowed=allowed, check=whole)


@FUZZ
@given(data=st.data())
def fuzz_pipeline_save(world: World, run: Run, data: st.DataObject) -> None:
    if "gate" not in world.ids:
        world.ids["stage"] = run(Stage.select(Stage.id).first().run())["id"]
        world.ids["gate"] = run(Gate.select(Gate.id).first().run())["id"]
        world.ids["criterion"] = run(Criterion.select(Criterion.id).first().run())["id"]
    stage, gate, criterion = world.ids["stage"], world.ids["gate"], world.ids["criterion"]
    name = valid_or(st.just("Étincelle"), 2)
    fields = {
        f"stage_{stage}_name_en": name,
        f"stage_{stage}_name_fr": name,
        f"stage_{stage}_unlocks_en": text,
        f"gate_{gate}_quorum": valid_or(st.sampled_from(["3", "1", "50"]), 2),
        f"gate_{gate}_threshold": valid_or(st.sampled_from(["60", "50,5"]), 2),
        f"gate_{gate}_window_days": valid_or(st.just("7"), 2),
        f"gate_{gate}_early_close": st.sampled_from(["1", "0", ""]),
        f"criterion_{criterion}_name_en": name,
        f"criterion_{criterion}_name_fr": name,
        f"criterion_{criterion}_weight": valid_or(st.sampled_from(["1", "0.5", "2,5"]), 2),
        f"new_{gate}_name_en": st.one_of(st.just(""), text),
        f"new_{gate}_name_fr": st.one_of(st.just(""), text),
        f"new_{gate}_weight": numberish,
        "stage_999999999999_name_en": text,
    }
    pairs = data.draw(form(fields))
    url = f"/admin/pipelines/{world.pipeline_id}"
    exercise(run, world, "cleo", url, pairs, allowed={"criterion": MAYBE, "audit_event": ONE})


# --- insights, notifications ----------------------------------------------------------------


@FUZZ
@given(
    pairs=form(
        {
            "quote": valid_or(st.just("« Trop lent »"), 2),
            "channel": valid_or(st.sampled_from(["phone", "email", "social", "store", "other"]), 3),
            "segment": text,
            "sentiment": valid_or(st.sampled_from(["praise", "complaint", "suggestion"]), 3),
        }
    )
)
def fuzz_insight_new(world: World, run: Run, pairs: Pairs) -> None:
    exercise(run, world, "bob", "/insights/new", pairs, allowed={"insight": ONE})


@FUZZ
@given(data=st.data())
def fuzz_insight_link(world: World, run: Run, data: st.DataObject) -> None:
    pairs = data.draw(
        form(
            {
                "challenge_id": st.one_of(st.just(str(world.challenge_id)), numberish),
                "idea_id": st.one_of(st.just(f"#{world.other_idea_id}"), numberish),
            }
        )
    )
    url = f"/insights/{world.insight_id}/links"
    exercise(run, world, "bob", url, pairs, allowed={"insight_link": MAYBE, "audit_event": MAYBE})


deliveries = valid_or(st.sampled_from(["in_app", "email", "digest", "off"]), 3)


@FUZZ
@given(pairs=form({f"pref_{kind}": deliveries for kind in KINDS}))
def fuzz_notification_preferences(world: World, run: Run, pairs: Pairs) -> None:
    # Upserts: a half-saved form shows in the values, not in the row counts.
    def choices() -> list[Any]:
        return list(
            run(
                NotificationPreference.select(
                    NotificationPreference.kind, NotificationPreference.delivery
                )
                .order_by(NotificationPreference.kind)
                .run()
            )
        )

    before = choices()
    allowed = {"notification_preference": range(0, len(KINDS) + 1)}
    response = exercise(run, world, "bob", "/notifications/preferences", pairs, allowed=allowed)
    if response.status_code >= 400:
        assert choices() == before


@FUZZ
@given(data=st.data())
def fuzz_unsubscribe(world: World, run: Run, data: st.DataObject) -> None:
    good = unsubscribe_token(world.people["eve"].id, "comment_posted")
    pairs = data.draw(form({"token": st.one_of(st.just(good), st.just(good[:-1] + "0"), text)}))
    allowed = {"notification_preference": MAYBE}
    exercise(run, world, "anonymous", "/notifications/unsubscribe", pairs, allowed=allowed)


# --- forms without fields still take any body -----------------------------------------------


@FUZZ
@given(
    pairs=form({"x": text}),
    path=st.sampled_from(
        [
            "/ideas/{idea}/support",
            "/ideas/{idea}/follow",
            "/challenges/{challenge}/follow",
            "/insights/{insight}/seen",
            "/notifications/read",
            "/gates/{round}/decide",
            "/ideas/{idea}/gate",
            "/ideas/{idea}/leave",
        ]
    ),
)
def fuzz_forms_without_fields(world: World, run: Run, pairs: Pairs, path: str) -> None:
    url = path.format(
        idea=world.other_idea_id,
        challenge=world.challenge_id,
        insight=world.insight_id,
        round=world.round_id,
    )
    allowed = {"support": range(-1, 2), "follow": range(-1, 2), "insight_seen": range(-1, 2)}
    exercise(run, world, "eve", url, pairs, allowed=allowed)


def test_a_body_that_is_not_utf8_or_not_a_form_is_refused_cleanly(world: World, run: Run) -> None:
    browser = world.browsers["eve"]
    token = browser.csrf_token()
    bodies: list[tuple[bytes, str]] = [
        (
            b"title=\xff\xfe&summary=\xc3(&_csrf_token=" + token.encode(),
            "application/x-www-form-urlencoded",
        ),
        (b"\x00\x01\x02", "application/x-www-form-urlencoded"),
        (b'{"title": "json"}', "application/json"),
        (
            b'--b\r\ncontent-disposition: form-data; name="title"\r\n\r\nx\r\n--b--',
            "multipart/form-data; boundary=b",
        ),
        (b"title=a&" * 20_000, "application/x-www-form-urlencoded"),
    ]
    for body, content_type in bodies:
        before = snapshot(run)
        response = browser.client.post(
            "/ideas/new", content=body, headers={"content-type": content_type, "x-csrftoken": token}
        )
        assert response.status_code < 500, (body[:40], response.status_code)
        if response.status_code >= 400:
            assert delta(before, snapshot(run)) == {}


# --- the groups pytest runs ---------------------------------------------------------------


def test_account_forms(world: World, run: Run, new_browser: Callable[..., Browser]) -> None:
    # Sign-ins and sign-ups are flood-guarded per address: lifted for the anonymous fuzzer
    # (that app's plugins are not started: it only serves /register and /login).
    world.browsers["anonymous"] = new_browser(
        create_app(replace(get_settings(), auth_posts_per_minute=1_000_000))
    )
    fuzz_register(world=world, run=run)
    fuzz_login(world=world, run=run)
    fuzz_profile(world=world, run=run)
    fuzz_api_token(world=world, run=run)
    fuzz_admin_roles(world=world, run=run)
    fuzz_locale_switch(world=world, run=run)


def test_challenge_forms(world: World, run: Run) -> None:
    fuzz_challenge_new(world=world, run=run)
    fuzz_challenge_edit(world=world, run=run)
    fuzz_challenge_pipeline(world=world, run=run)
    fuzz_challenge_status(world=world, run=run)


def test_idea_and_comment_forms(world: World, run: Run) -> None:
    fuzz_merge(world=world, run=run)
    fuzz_idea_new(world=world, run=run)
    fuzz_idea_edit(world=world, run=run)
    fuzz_comment(world=world, run=run)
    fuzz_comment_edit(world=world, run=run)


def test_team_forms(world: World, run: Run) -> None:
    fuzz_role_wanted(world=world, run=run)
    fuzz_join(world=world, run=run)
    fuzz_role_filled(world=world, run=run)


def test_gate_and_pipeline_forms(world: World, run: Run) -> None:
    fuzz_vote(world=world, run=run)
    fuzz_pipeline_new(world=world, run=run)
    fuzz_pipeline_save(world=world, run=run)


def test_insight_and_notification_forms(world: World, run: Run) -> None:
    fuzz_insight_new(world=world, run=run)
    fuzz_insight_link(world=world, run=run)
    fuzz_notification_preferences(world=world, run=run)
    fuzz_unsubscribe(world=world, run=run)
    fuzz_forms_without_fields(world=world, run=run)
