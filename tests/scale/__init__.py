"""Tests of several real `incubator serve` processes on one database and one Redis.

Their database is not the suite's (conftest binds this test process's engine to that
one), so what a test prepares in it is made by the real services in a child process:

    python -c "from tests.scale import main; main()" <what> '<json arguments>'

which prints what it made as JSON. Nothing here imports tests.conftest: importing it
would point the child at the suite's database."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

GO_SCORES = {"customer_value": "4", "feasibility": "4", "strategic_fit": "3"}


async def _person(
    name: str, department: str, password: str = "a long password", *, email: str | None = None
) -> int:
    from incubator.accounts import services as accounts

    email = email or f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    person = await accounts.register(
        email=email, name=name, password=password, department=department
    )
    return int(person.id)


async def due_round() -> dict[str, Any]:
    """A round that is a day past its deadline, with the quorum's go votes cast while it
    was open, at a gate that waits for its deadline: deciding it passes the idea. Someone
    supports the idea, so the decision notifies more than the team."""
    from incubator.gates import services as gates
    from incubator.gates.tables import Gate
    from incubator.ideas import services as ideas
    from tests import factories

    author = await _person("Ada", "Marketing")
    voters = [await _person(f"Voter{n}", f"Dept {n}") for n in range(3)]
    supporter = await _person("Sam", "Ventes")
    idea = await factories.idea(author, title="A due idea", summary="Decided by the clock.")
    await ideas.toggle_support(await factories.actor(supporter), idea)
    opened = datetime.now(UTC) - timedelta(days=8)  # the default window is 7 days
    await Gate.update({Gate.early_close: False}).where(Gate.id > 0).run()
    try:
        round_id = await gates.submit_to_gate(await factories.actor(author), idea, now=opened)
    finally:
        await Gate.update({Gate.early_close: True}).where(Gate.id > 0).run()
    for voter in voters:
        ballot = gates.Ballot(decision="go", scores=GO_SCORES, rationale="")
        outcome = await gates.cast_vote(
            await factories.actor(voter), round_id, ballot, now=opened + timedelta(hours=1)
        )
        assert outcome is None  # this gate waits for its deadline
    return {"idea": idea, "round": round_id, "author": author, "supporter": supporter}


async def ideas_to_support(count: int) -> dict[str, Any]:
    """`count` ideas by one author, for someone else to support."""
    from tests import factories

    author = await _person("Ines", "Finance")
    made = [await factories.idea(author, title=f"Idea {n} to support") for n in range(count)]
    return {"author": author, "ideas": made}


async def admin_and_member() -> dict[str, Any]:
    """An administrator and a member without roles, both able to sign in."""
    from incubator.accounts import services as accounts

    admin_email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    await accounts.create_admin(email=admin_email, password="a long password", name="Root")
    member_email = f"mona-{uuid.uuid4().hex[:8]}@example.com"
    member = await _person("Mona", "Design", email=member_email)
    return {"admin": admin_email, "member": member_email, "member_id": member}


SEEDS: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "admin_and_member": admin_and_member,
    "due_round": due_round,
    "ideas_to_support": ideas_to_support,
}


def main() -> None:
    from incubator.app import close_database, open_database
    from incubator.subscribers import register_all

    what, arguments = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    register_all()  # as in the app: the events of these services reach their subscribers

    async def run() -> dict[str, Any]:
        await open_database()
        try:
            return await SEEDS[what](**arguments)
        finally:
            await close_database()

    print(json.dumps(asyncio.run(run())))
