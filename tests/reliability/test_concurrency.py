"""Many people at once against a real `incubator serve`, over HTTP, on the test database.

The service tests (tests/ideas, tests/gates, tests/teams) already race 20-50 calls on one
event loop. Here 200 people, each with their own session and connections, press at the
same moment through the whole stack (HTTP, sessions, CSRF, the pool), and two server
processes write to one database. Afterwards every row is counted: nothing lost, nothing
doubled, counters equal to the rows they count, one decision per round and one audit
event per decision."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from incubator.db.tables import AuditEvent
from incubator.discussion.tables import Comment
from incubator.gates import services as gates
from incubator.gates.tables import Gate, GateRound, Vote
from incubator.ideas.tables import Idea, Support, TeamMember
from incubator.teams import services as teams
from incubator.teams.tables import JoinRequest
from tests import factories
from tests.conftest import Persona, Run
from tests.reliability.web import (
    Answer,
    WebPerson,
    assert_clean,
    bounded,
    close_all,
    leaked_in_log,
    run_async,
    server_env,
    signed_in,
)
from tests.servers import Serve

CROWD = 200
GO = {"score_customer_value": "4", "score_feasibility": "4", "score_strategic_fit": "3"}


@pytest.fixture
def server(tmp_path: Path, run: Run) -> Iterator[Serve]:
    """A real server on the test database (emptied and re-seeded before this starts)."""
    with Serve(server_env(tmp_path / "data"), tmp_path) as serve:
        yield serve
    assert not leaked_in_log(serve.log()), leaked_in_log(serve.log())[:5]


def _emails(run: Run, count: int, prefix: str) -> list[str]:
    run(factories.people(count, prefix))
    return [f"{prefix}{number}@example.com" for number in range(count)]


def _count(run: Run, query: object) -> int:
    return int(run(query.run()))  # type: ignore[attr-defined]


def _decisions(run: Run, action: str = "round.decided") -> int:
    return _count(run, AuditEvent.count().where(AuditEvent.action == action))


def test_two_hundred_peers_vote_at_once_on_two_rounds_and_each_is_decided_once(
    server: Serve, run: Run, personas: dict[str, Persona]
) -> None:
    """Two rounds, the same 200 peers, everyone pressing at the same moment.

    `waiting` does not close early: 200 votes, 50 of them cast twice at once, and the
    author trying too; then two stewards press "decide" ten times each at once.
    `racing` closes early at a quorum of 100: exactly one vote decides it, every vote
    acknowledged is stored and every later one is refused."""
    ada = run(factories.actor(personas["ada"].id))
    run(Gate.update({Gate.early_close: False}).where(Gate.id > 0).run())
    waiting = run(gates.submit_to_gate(ada, run(factories.idea(ada.id, title="Waits"))))
    run(Gate.update({Gate.early_close: True, Gate.quorum: 100}).where(Gate.id > 0).run())
    racing_idea = run(factories.idea(ada.id, title="Races"))
    racing = run(gates.submit_to_gate(ada, racing_idea))
    emails = _emails(run, CROWD, "voter")

    async def scenario() -> dict[str, list[Answer]]:
        voters = await signed_in(server.url, emails)
        author, cleo, ida = await signed_in(
            server.url, [personas[k].email for k in ("ada", "cleo", "ida")]
        )
        to_waiting, to_racing = f"/gates/{waiting}/votes", f"/gates/{racing}/votes"
        ballots = [
            (voter, {"decision": "go" if n % 4 else "hold", **GO}) for n, voter in enumerate(voters)
        ]
        ballots += [(voter, {"decision": "go", **GO}) for voter in voters[:50]]  # twice at once
        answers = {
            "waiting": await bounded(
                (voter.post(to_waiting, ballot) for voter, ballot in ballots),
                len(ballots),
            ),
            "author": [await author.post(to_waiting, {"decision": "go", **GO})],
            "decide": await bounded(
                (s.post(f"/gates/{waiting}/decide") for s in [cleo, ida] * 10), 20
            ),
            "racing": await bounded(
                (voter.post(to_racing, {"decision": "go", **GO}) for voter in voters),
                CROWD,
            ),
        }
        await close_all([*voters, author, cleo, ida])
        return answers

    answers = run_async(scenario())

    # The round that waits: every vote once, the replacements replaced, one decision.
    assert_clean(answers["waiting"], allowed={303})
    assert [a.status for a in answers["author"]] == [403]
    voters = run(Vote.select(Vote.voter).where(Vote.round == waiting).run())
    assert len(voters) == len({row["voter"] for row in voters}) == CROWD
    round_ = run(GateRound.select().where(GateRound.id == waiting).first().run())
    assert round_["vote_count"] == CROWD
    audit = Counter(
        row["action"]
        for row in run(
            AuditEvent.select(AuditEvent.action)
            .where(AuditEvent.action.is_in(["vote.cast", "vote.replaced"]))
            .where(AuditEvent.subject_id == waiting)
            .run()
        )
    )
    assert audit == {"vote.cast": CROWD, "vote.replaced": 50}
    assert_clean(answers["decide"], allowed={303, 400})
    assert sorted(a.status or 0 for a in answers["decide"]) == [303] + [400] * 19
    assert round_["status"] == "passed"  # 3 go for 1 hold, scores above 3

    # The round that races its early close.
    assert_clean(answers["racing"], allowed={303, 400})
    accepted = [a for a in answers["racing"] if a.status == 303]
    refused = [a for a in answers["racing"] if a.status == 400]
    # (The late voter's page shows the decision in place of the ballot.)
    assert all("The decision" in a.body for a in refused)
    assert len(accepted) >= 100
    stored = _count(run, Vote.count().where(Vote.round == racing))
    assert stored == len(accepted)
    round_ = run(GateRound.select().where(GateRound.id == racing).first().run())
    assert (round_["vote_count"], round_["status"]) == (stored, "passed")
    tally = round_["tally"]
    assert (json.loads(tally) if isinstance(tally, str) else tally)[
        "votes"
    ] == 100  # decided by the vote that reached the quorum
    cast = AuditEvent.count().where(
        (AuditEvent.action == "vote.cast") & (AuditEvent.subject_id == racing)
    )
    assert _count(run, cast) == stored

    # One decision per round, one audit event per decision, one stage change per pass.
    assert _decisions(run) == 2
    assert _decisions(run, "idea.stage_changed") == 2
    stages = run(Idea.select(Idea.stage).where(Idea.author == ada.id).run())
    assert [row["stage"] for row in stages] == ["explore", "explore"]


SUPPORT_COUNT = re.compile(r'class="stat__value">(\d+)<')


def test_two_hundred_people_support_and_ask_to_join_at_once(
    server: Serve, run: Run, personas: dict[str, Persona]
) -> None:
    """The same 200 people: all support one idea at once, then 100 withdraw while 50
    others press twice at once. All ask to join another idea, 50 of them pressing twice
    at once; then its owner accepts every request while a member accepts 50 of the same
    requests at the same moment."""
    ada, bob = (run(factories.actor(personas[k].id)) for k in ("ada", "bob"))
    liked = run(factories.idea(ada.id, title="Liked"))
    wanted = run(factories.idea(ada.id, title="Wanted"))
    run(teams.answer_request(ada, wanted, run(teams.request_to_join(bob, wanted, "")), accept=True))
    emails = _emails(run, CROWD, "fan")
    support, join = f"/ideas/{liked}/support", f"/ideas/{wanted}/join"

    async def scenario() -> dict[str, list[Answer]]:
        fans = await signed_in(server.url, emails)
        owner, member = await signed_in(server.url, [personas["ada"].email, personas["bob"].email])
        first = await bounded((fan.post(support, htmx=True) for fan in fans), CROWD)
        presses = fans[:100] + fans[100:150] + fans[100:150]
        second = await bounded((fan.post(support, htmx=True) for fan in presses), len(presses))
        asked = await bounded(
            (fan.post(join, {"message": "Count me in"}) for fan in fans + fans[:50]),
            CROWD + 50,
        )
        # Read on the app's loop (its pool lives there), from a thread of this one.
        pending = await asyncio.to_thread(run, _pending(wanted))
        accepted = await bounded(
            (
                person.post(f"/ideas/{wanted}/join-requests/{request}/accept")
                for n, request in enumerate(pending)
                for person in ((owner, member) if n % 4 == 0 else (owner,))
            ),
            len(pending) + 50,
        )
        await close_all([*fans, owner, member])
        return {"first": first, "second": second, "asked": asked, "accepted": accepted}

    answers = run_async(scenario())

    # Supports: presses written together (incubator.ideas.supports) each read the count
    # their batch left, so every count shown was shown to exactly as many presses as it
    # rose by since the count before it, up to 200: none lost, none counted twice.
    assert_clean(answers["first"], allowed={200})
    assert_clean(answers["second"], allowed={200})
    shown = Counter(int(SUPPORT_COUNT.findall(a.body)[0]) for a in answers["first"])
    steps = sorted(shown)
    assert steps[-1] == CROWD
    assert [shown[count] for count in steps] == [
        count - before for before, count in zip([0, *steps], steps, strict=False)
    ]
    rows = run(Support.select(Support.person).where(Support.idea == liked).run())
    # The 100 who pressed once withdrew; a double press from a supporter ends supported.
    assert len(rows) == len({row["person"] for row in rows}) == 100
    counter = run(Idea.select(Idea.support_count).where(Idea.id == liked).first().run())
    assert counter == {"support_count": 100}

    # Join requests: one pending per person, then each answered exactly once.
    assert_clean(answers["asked"], allowed={303, 400})
    assert Counter(a.status for a in answers["asked"]) == {303: CROWD, 400: 50}
    assert all("already asked to join" in a.body for a in answers["asked"] if a.status == 400)
    requests = run(JoinRequest.select(JoinRequest.person).where(JoinRequest.idea == wanted).run())
    assert len(requests) == len({row["person"] for row in requests}) == CROWD + 1  # and bob
    assert_clean(answers["accepted"], allowed={303, 404})
    assert Counter(a.status for a in answers["accepted"]) == {303: CROWD, 404: 50}
    members = run(TeamMember.select(TeamMember.person).where(TeamMember.idea == wanted).run())
    assert len(members) == len({row["person"] for row in members}) == CROWD + 2
    assert _count(run, JoinRequest.count().where(JoinRequest.status == "pending")) == 0
    assert _decisions(run, "team.request_accepted") == CROWD + 1


async def _pending(idea_id: int) -> list[int]:
    rows = (
        await JoinRequest.select(JoinRequest.id)
        .where((JoinRequest.idea == idea_id) & (JoinRequest.status == "pending"))
        .run()
    )
    return [int(row["id"]) for row in rows]


def test_two_server_processes_writing_to_one_database_lose_and_double_nothing(
    tmp_path: Path, run: Run, personas: dict[str, Persona]
) -> None:
    """Two `incubator serve` processes on one database (on SQLite: two writers queueing
    on one file lock). 60 people support one idea and comment twice on others, all at
    once, their requests spread over both processes: nobody sees an error, and every
    acknowledged write is stored exactly once."""
    people_count = 60
    supported = run(factories.idea(personas["ada"].id, title="Support me"))
    # Commenting follows the idea: a few ideas keep each comment's notifications few.
    discussed = [run(factories.idea(personas["ada"].id, title=f"Discuss {n}")) for n in range(6)]
    emails = _emails(run, people_count, "writer")
    env = server_env(tmp_path / "data")  # one data directory: sessions valid on both
    with Serve(env, tmp_path, name="a") as a, Serve(env, tmp_path, name="b") as b:

        async def scenario() -> list[tuple[str, Answer]]:
            people = await signed_in(a.url, emails)
            jobs: list[tuple[str, WebPerson, str, dict[str, str]]] = []
            for n, person in enumerate(people):
                base = (a.url, b.url)[n % 2]
                jobs.append(("support", person, f"{base}/ideas/{supported}/support", {}))
                for k in range(2):
                    body = f"Comment {n}-{k} from {person.email}"
                    url = f"{(b.url, a.url)[k]}/ideas/{discussed[(n + k) % 6]}/comments"
                    jobs.append((body, person, url, {"body": body}))

            async def send(job: tuple[str, WebPerson, str, dict[str, str]]) -> tuple[str, Answer]:
                what, person, url, data = job
                return what, await person.post(url, data)

            answers = await bounded((send(job) for job in jobs), len(jobs))
            await close_all(people)
            return answers

        answers = run_async(scenario())
        logs = a.log() + b.log()

    assert_clean([answer for _what, answer in answers], allowed={303})
    assert not leaked_in_log(logs), leaked_in_log(logs)[:5]
    bodies = Counter(
        row["body"]
        for row in run(
            Comment.select(Comment.body).where(Comment.subject_id.is_in(discussed)).run()
        )
    )
    acknowledged = {what for what, answer in answers if what != "support" and answer.acknowledged}
    assert len(acknowledged) == 2 * people_count
    assert set(bodies) == acknowledged
    assert set(bodies.values()) == {1}
    counters = run(
        Idea.select(Idea.id, Idea.support_count, Idea.comment_count)
        .where(Idea.id.is_in([supported, *discussed]))
        .order_by(Idea.id)
        .run()
    )
    assert [c["support_count"] for c in counters] == [people_count] + [0] * 6
    assert [c["comment_count"] for c in counters] == [0] + [2 * people_count // 6] * 6
    assert _count(run, Support.count().where(Support.idea == supported)) == people_count
