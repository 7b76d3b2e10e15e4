"""Building blocks of the authorization matrix: a scene of fresh things made through the
real services for each cell, and a snapshot of the database to prove a refusal changed
nothing.

The snapshot holds the row count of every table, the audit log's count and last id, and
the content of every row the cell itself created (ids above the cell's starting marks)
plus the small tables shared by all cells (people, notification preferences): counts
alone would not see a refused edit that went through anyway.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.table import Table

from incubator.accounts import services as accounts
from incubator.accounts import tokens
from incubator.accounts.identity import Actor
from incubator.accounts.tables import Person
from incubator.challenges import services as challenges
from incubator.db.tables import AuditEvent
from incubator.discussion import services as discussion
from incubator.gates import pipeline_admin
from incubator.gates import services as gates
from incubator.gates.pipelines import ensure_default_pipeline
from incubator.gates.tables import Criterion, Gate, Stage
from incubator.insights import services as insights
from incubator.notifications import services as notifications
from incubator.notifications.delivery import unsubscribe_token
from incubator.notifications.tables import NotificationPreference
from incubator.piccolo_conf import APP_REGISTRY
from incubator.teams import services as teams
from tests import factories
from tests.conftest import PASSWORD, PERSONA_ROLES, PERSONAS, Persona
from tests.gates import helpers

# --- the people ------------------------------------------------------------------------

ANONYMOUS = "anonymous"
# Columns of the matrix, in order. bob is the team member: accepted onto ada's idea's team.
PERSONA_KEYS = (ANONYMOUS, "eve", "ada", "bob", "cleo", "dan", "ida")
UNSUBSCRIBE_KIND = "comment_posted"


async def make_personas() -> dict[str, Persona]:
    """The conftest personas (same names, departments, roles, and ida first so she holds
    every role), made once for the whole module rather than once per test."""
    people: dict[str, Persona] = {}
    for key, (name, department) in PERSONAS.items():
        email = f"{key}@example.com"
        person = await accounts.register(
            email=email, name=name, password=PASSWORD, department=department
        )
        people[key] = Persona(int(person.id), email, name, department)
    admin = await factories.actor(people["ida"].id)
    for key, roles in PERSONA_ROLES.items():
        await accounts.set_roles(admin, people[key].id, roles)
    return people


# --- the scene: fresh things for one cell ------------------------------------------------

_serial = itertools.count(1)


class Scene:
    """What one cell needs, made on first use through the services, never by writing rows.

    Everything belongs to ada (or, for cross-idea cases, to eve), so each other persona's
    cell is also a check that another person's id does not open their things."""

    def __init__(self, people: Mapping[str, Persona]) -> None:
        self.people = people
        self.serial = next(_serial)
        self._made: dict[str, int | str] = {}

    async def actor(self, key: str) -> Actor:
        return await factories.actor(self.people[key].id)

    async def get(self, name: str) -> int | str:
        if name in self.people:
            return self.people[name].id
        if name not in self._made:
            make: Callable[[], Awaitable[int | str]] = getattr(self, f"_make_{name}")
            self._made[name] = await make()
        return self._made[name]

    async def _make_idea_title(self) -> str:
        await self.get("idea")
        return self._idea_title()

    def _idea_title(self) -> str:
        return f"Refund form no. {self.serial} (matrix)"  # no title is a prefix of another

    async def _make_challenge(self) -> int:
        return await factories.challenge(self.people["ada"].id)

    async def _make_closed_challenge(self) -> int:
        challenge_id = int(await self.get("challenge"))
        await challenges.change_status(await self.actor("ada"), challenge_id, "closed")
        return challenge_id

    async def _make_idea(self) -> int:
        """ada's idea, with bob accepted onto its team through a real join request."""
        return await helpers.idea_with_team(
            self.people["ada"].id, self.people["bob"].id, title=self._idea_title()
        )

    async def _make_other_idea(self) -> int:
        return await factories.idea(self.people["eve"].id, title="Eve's own idea")

    async def _make_role(self) -> int:
        idea_id = int(await self.get("idea"))
        return await teams.add_role_wanted(await self.actor("ada"), idea_id, "design", "UX")

    async def _make_join_request(self) -> int:
        """A pending request from a newcomer, so no persona's own standing changes."""
        idea_id = int(await self.get("idea"))
        joiner = await factories.actor(int(await self.get("newcomer")))
        return await teams.request_to_join(joiner, idea_id, "May I help?")

    async def _make_other_join_request(self) -> int:
        """A pending request on eve's idea (eve answers those: she is its team)."""
        idea_id = int(await self.get("other_idea"))
        joiner = await factories.actor(int(await self.get("newcomer")))
        return await teams.request_to_join(joiner, idea_id, "And yours too?")

    async def _make_comment(self) -> int:
        idea_id = int(await self.get("idea"))
        return await discussion.add_comment(await self.actor("ada"), "idea", idea_id, "Mine.")

    async def _make_other_comment(self) -> int:
        """A comment on eve's idea: replying to it from ada's idea mixes two threads."""
        idea_id = int(await self.get("other_idea"))
        return await discussion.add_comment(await self.actor("eve"), "idea", idea_id, "Hers.")

    async def _make_insight(self) -> int:
        draft = insights.InsightDraft(
            quote="I waited three weeks for my refund.",
            channel="phone",
            segment="Retail",
            sentiment="complaint",
        )
        return await insights.log_insight(await self.actor("ada"), draft)

    async def _make_token(self) -> int:
        ada = await self.actor("ada")
        await tokens.create_token(ada, f"script {self.serial}")
        return int((await tokens.tokens_of(ada.id))[0]["id"])

    async def _make_round(self) -> int:
        """An open round on ada's idea: the panel is drawn, anyone off the team may vote."""
        return await gates.submit_to_gate(await self.actor("ada"), int(await self.get("idea")))

    async def _make_due_round(self) -> int:
        """An open round whose voting window ended yesterday: a steward may decide it."""
        opened = gates.utcnow() - timedelta(days=8)
        idea_id = int(await self.get("idea"))
        return await gates.submit_to_gate(await self.actor("ada"), idea_id, now=opened)

    async def _make_newcomer(self) -> int:
        return (await factories.people(1, f"newcomer{self.serial}x"))[0]

    async def _make_pipeline(self) -> int:
        return await pipeline_admin.create_pipeline(await self.actor("ida"), f"Lab {self.serial}")

    async def _make_other_pipeline(self) -> int:
        return await pipeline_admin.create_pipeline(await self.actor("ida"), f"Other {self.serial}")

    async def _make_other_stage(self) -> int:
        """A stage of another pipeline (read back, made by the service above)."""
        pipeline_id = await self.get("other_pipeline")
        row = await Stage.select(Stage.id).where(Stage.pipeline == pipeline_id).first().run()
        assert row is not None
        return int(row["id"])

    async def _make_other_gate(self) -> int:
        pipeline_id = await self.get("other_pipeline")
        row = await Gate.select(Gate.id).where(Gate.pipeline == pipeline_id).first().run()
        assert row is not None
        return int(row["id"])

    async def _make_other_criterion(self) -> int:
        gate_id = await self.get("other_gate")
        row = await Criterion.select(Criterion.id).where(Criterion.gate == gate_id).first().run()
        assert row is not None
        return int(row["id"])

    async def _make_default_pipeline(self) -> int:
        return await ensure_default_pipeline()

    async def _make_unsubscribe(self) -> str:
        """ada's one-click link from an e-mail, for a kind she receives by e-mail."""
        await notifications.set_preference(self.people["ada"].id, UNSUBSCRIBE_KIND, "email")
        return unsubscribe_token(self.people["ada"].id, UNSUBSCRIBE_KIND)

    async def _make_forged_unsubscribe(self) -> str:
        """eve's own link with ada's id pasted in: the signature no longer matches."""
        genuine = unsubscribe_token(self.people["ada"].id, UNSUBSCRIBE_KIND)
        forged = unsubscribe_token(self.people["eve"].id, UNSUBSCRIBE_KIND)
        await notifications.set_preference(self.people["ada"].id, UNSUBSCRIBE_KIND, "email")
        return genuine.split(".")[0] + "." + forged.split(".")[1]


# --- the snapshot ------------------------------------------------------------------------


def _tables() -> list[type[Table]]:
    return [
        table
        for app in APP_REGISTRY.app_configs.values()
        for table in app.table_classes
        if table._meta.tablename != Migration._meta.tablename
    ]


TABLES = _tables()
# Shared by every cell and small: compared whole, not only above the cell's marks.
WHOLE_TABLES = {Person._meta.tablename, NotificationPreference._meta.tablename}
_AUDIT = AuditEvent._meta.tablename
_COUNTS_SQL = " UNION ALL ".join(
    [
        f"SELECT '{t._meta.tablename}' AS name, COUNT(*) AS n, "  # noqa: S608 - our tables
        f'COALESCE(MAX(id), 0) AS top FROM "{t._meta.tablename}"'
        for t in TABLES
    ]
    + ["SELECT 'idea_search' AS name, COUNT(*) AS n, 0 AS top FROM idea_search"]
)


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    tops: dict[str, int]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def audit(self) -> tuple[int, int]:
        """The audit log's length and last id."""
        return self.counts[_AUDIT], self.tops[_AUDIT]

    def differences(self, other: Snapshot) -> list[str]:
        """The tables whose count or rows differ, for the failure message."""
        changed = [
            f"{name}: {self.counts[name]} -> {other.counts.get(name)} rows"
            for name in self.counts
            if self.counts[name] != other.counts.get(name)
        ]
        changed += [
            f"{name}: rows changed"
            for name in self.rows
            if self.rows[name] != other.rows.get(name)
            and self.counts[name] == other.counts.get(name)
        ]
        if self.audit != other.audit:
            changed.append(f"audit log (count, last id): {self.audit} -> {other.audit}")
        return changed


async def marks() -> Snapshot:
    """Counts and highest ids: where this cell's own rows will start."""
    rows = await AuditEvent.raw(_COUNTS_SQL).run()
    return Snapshot(
        counts={row["name"]: int(row["n"]) for row in rows},
        tops={row["name"]: int(row["top"]) for row in rows},
    )


async def snapshot(since: Snapshot) -> Snapshot:
    """Counts, the audit log, and every row made since `since` (or in a shared table)."""
    now = await marks()
    contents: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        name = table._meta.tablename
        query = table.select().order_by(table._meta.primary_key)
        if name not in WHOLE_TABLES:
            if now.tops[name] <= since.tops[name]:
                contents[name] = []  # nothing above the marks (a deletion shows in the counts)
                continue
            query = query.where(table._meta.primary_key > since.tops[name])
        contents[name] = await query.run()
    return Snapshot(counts=now.counts, tops=now.tops, rows=contents)
