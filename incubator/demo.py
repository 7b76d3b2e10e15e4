"""A small bilingual demo company, seeded through the same services people use."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from incubator.accounts import services as accounts
from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.accounts.tables import Person
from incubator.challenges import services as challenges
from incubator.challenges.tables import Challenge
from incubator.demo_content import CHALLENGES, IDEAS
from incubator.gates import services as gates
from incubator.gates.pipelines import ensure_default_pipeline
from incubator.ideas import services as ideas
from incubator.ideas.services import is_team_member
from incubator.ideas.tables import Idea
from incubator.insights import services as insights
from incubator.teams import services as teams

DEMO_PASSWORD = "incubator-demo"  # noqa: S105 - printed for the demo on purpose
DEMO_DOMAIN = "demo.example"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    department: str
    locale: str
    skills: str
    bio: str
    job_title: str = ""
    roles: tuple[Role, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "ada",
        "Ada Okafor",
        "IT",
        "en",
        "python, data, architecture, security",
        "Platform engineer. I like turning a spreadsheet nobody trusts into a tool everyone uses.",
        "Lead engineer",
        (Role.ADMIN, Role.STEWARD, Role.LEADERSHIP),
    ),
    DemoPerson(
        "camille",
        "Camille Durand",
        "Service client",
        "fr",
        "relation client, réseaux sociaux, formation",
        "Conseillère au service client depuis huit ans. J'entends chaque jour ce que nos clients aiment et ce qui les agace.",
        "Conseillère senior",
        (Role.STEWARD,),
    ),
    DemoPerson(
        "bruno",
        "Bruno Lefèvre",
        "Opérations",
        "fr",
        "maintenance, lean, logistique",
        "Responsable d'atelier. Nos machines ont vingt ans ; nos idées pour les moderniser sont plus récentes.",
        "Chef d'atelier",
    ),
    DemoPerson(
        "chloe",
        "Chloé Martin",
        "Marketing",
        "fr",
        "marketing digital, réseaux sociaux, rédaction",
        "Je fais parler de nous — de préférence par nos clients plutôt que par nos publicités.",
        "Directrice marketing",
        (Role.LEADERSHIP,),
    ),
    DemoPerson(
        "david",
        "David Chen",
        "Finance",
        "en",
        "budget, business case, forecasting",
        "Finance partner. Happy to help any team build a business case that survives a hard question.",
        "Finance director",
        (Role.LEADERSHIP,),
    ),
    DemoPerson(
        "emma",
        "Emma Rossi",
        "RH",
        "en",
        "recruiting, training, change management",
        "People partner. Interested in how we learn from each other across departments.",
    ),
    DemoPerson(
        "farid",
        "Farid Benali",
        "Ventes",
        "fr",
        "négociation, grands comptes, relation client",
        "Commercial grands comptes. Je rapporte ce que les clients disent avant de signer… ou de partir.",
    ),
    DemoPerson(
        "grace",
        "Grace Kim",
        "IT",
        "en",
        "ux, design, prototyping",
        "Product designer. I sketch first, then we argue about the sketch.",
    ),
    DemoPerson(
        "hugo",
        "Hugo Moreau",
        "Opérations",
        "fr",
        "automatisation, iot, maintenance",
        "Technicien méthodes. Les capteurs coûtent moins cher qu'une panne un lundi matin.",
    ),
    DemoPerson(
        "ines",
        "Inès Garcia",
        "Service client",
        "fr",
        "support, qualité, analyse de données",
        "Je lis les réclamations pour y trouver des tendances, pas des coupables.",
    ),
    DemoPerson(
        "jonas",
        "Jonas Weber",
        "Marketing",
        "en",
        "analytics, seo, data",
        "Growth analyst. If it can be measured, I have probably graphed it.",
    ),
    DemoPerson(
        "lea",
        "Léa Petit",
        "Finance",
        "fr",
        "contrôle de gestion, achats, budget",
        "Contrôleuse de gestion. Trois niveaux de validation pour une note de frais, c'est deux de trop.",
        "Contrôleuse de gestion",
        (Role.STEWARD,),
    ),
)


async def seed_people() -> dict[str, int]:
    """Create the demo people (once) and return their ids by key."""
    ids: dict[str, int] = {}
    for demo in PEOPLE:
        existing = await Person.select(Person.id).where(Person.email == demo.email).first().run()
        if existing is None:
            if Role.ADMIN in demo.roles:
                person = await accounts.create_admin(
                    email=demo.email, password=DEMO_PASSWORD, name=demo.name
                )
            else:
                person = await accounts.register(
                    email=demo.email,
                    name=demo.name,
                    password=DEMO_PASSWORD,
                    department=demo.department,
                    locale=demo.locale,
                )
            ids[demo.key] = int(person.id)
            actor = await accounts.load_actor(int(person.id))
            assert actor is not None
            await accounts.update_profile(
                actor,
                accounts.ProfileChange(
                    name=demo.name,
                    department=demo.department,
                    skills=demo.skills,
                    bio=demo.bio,
                    locale=demo.locale,
                ),
            )
            await (
                Person.update({Person.job_title: demo.job_title})
                .where(Person.id == person.id)
                .run()
            )
        else:
            ids[demo.key] = int(existing["id"])
    admin = await accounts.load_actor(ids[PEOPLE[0].key])
    assert admin is not None
    for demo in PEOPLE[1:]:
        if demo.roles:
            await accounts.set_roles(admin, ids[demo.key], [role.value for role in demo.roles])
    return ids


async def seed_content(ids: dict[str, int]) -> None:
    """Challenges, ideas, supports and discussions (once: skipped if challenges exist)."""
    if await Challenge.exists().run():
        return
    actors = {key: await accounts.load_actor(person_id) for key, person_id in ids.items()}

    def actor(key: str) -> Actor:
        found = actors[key]
        assert found is not None
        return found

    challenge_ids: dict[str, int] = {}
    for challenge in CHALLENGES:
        closes_on = (
            (date.today() + timedelta(days=challenge.closes_in_days)).isoformat()
            if challenge.closes_in_days
            else ""
        )
        challenge_ids[challenge.key] = await challenges.post_challenge(
            actor(challenge.author),
            challenges.ChallengeDraft(
                title=challenge.title,
                problem=challenge.problem,
                source=challenge.source,
                closes_on=closes_on,
                tags=challenge.tags,
            ),
        )
    for idea in IDEAS:
        idea_id = await ideas.propose_idea(
            actor(idea.author),
            ideas.IdeaDraft(
                title=idea.title,
                summary=idea.summary,
                description=idea.description,
                challenge_id=str(challenge_ids[idea.challenge]) if idea.challenge else "",
                tags=idea.tags,
                blind=idea.blind,
            ),
        )
        for supporter in idea.supporters:
            await ideas.toggle_support(actor(supporter), idea_id)
        for comment in idea.comments:
            parent = await ideas.comment_on_idea(actor(comment.author), idea_id, comment.body)
            for author, body in comment.replies:
                await ideas.comment_on_idea(actor(author), idea_id, body, parent)
    await _seed_teams(actor)
    await _seed_gates(actor)
    await _seed_insights(actor, challenge_ids)
    for challenge in CHALLENGES:
        if challenge.closed:
            await challenges.change_status(
                actor(challenge.author), challenge_ids[challenge.key], "closed"
            )


# Skills the demo teams look for, by idea position: (skill, what the role involves).
_ROLES = (
    ("data", "Measure what changes, before and after."),
    ("ux", "Sketch the screens and test them with three customers."),
    ("maintenance", "Know the machines and what breaks."),
    ("budget", "Build the business case for the pilot."),
)


async def _seed_teams(actor: Callable[[str], Actor]) -> None:
    """Teams through the real join flow: some span departments, some do not; some roles
    are open and some requests wait for an answer."""
    department = {person.key: person.department for person in PEOPLE}
    rows = await Idea.select(Idea.id, Idea.author.email.as_alias("email")).order_by(Idea.id).run()
    keys = [demo.key for demo in PEOPLE]
    for position, row in enumerate(rows):
        author = row["email"].split("@", 1)[0]
        others = [key for key in keys if key != author]
        same = [key for key in others if department[key] == department[author]]
        elsewhere = [key for key in others if department[key] != department[author]]
        if position % 3 != 2:  # two ideas in three recruit someone
            pool = elsewhere if position % 3 == 0 else same or elsewhere
            recruit = pool[position % len(pool)]
            request_id = await teams.request_to_join(
                actor(recruit), row["id"], "Je peux aider / Happy to help."
            )
            await teams.answer_request(actor(author), row["id"], request_id, accept=True)
        if position % 2 == 0:
            skill, description = _ROLES[position % len(_ROLES)]
            await teams.add_role_wanted(actor(author), row["id"], skill, description)
        if position % 4 == 1:
            candidate = elsewhere[(position + 3) % len(elsewhere)]
            if not await is_team_member(row["id"], actor(candidate).id):
                await teams.request_to_join(
                    actor(candidate), row["id"], "I would like to help with the pilot."
                )


_SCORES = {
    "go": {"customer_value": "4", "feasibility": "4", "strategic_fit": "4"},
    "hold": {"customer_value": "3", "feasibility": "2", "strategic_fit": "3"},
    "kill": {"customer_value": "2", "feasibility": "1", "strategic_fit": "2"},
}
_REASONS = {
    "go": "Clients will notice within weeks. / Les clients le verront en quelques semaines.",
    "hold": "Promising, but the cost is unclear. / Prometteur, mais le coût reste flou.",
    "kill": "Another team already solves this. / Une autre équipe règle déjà ce problème.",
}
# Position of the idea in the demo → what its rounds show (gates passed, then the last
# round's story).
_JOURNEYS: dict[int, tuple[int, str | None]] = {
    0: (4, None),  # graduated
    3: (3, None),  # in Pilot
    6: (2, None),  # in Prototype
    1: (1, None),  # in Explore
    2: (0, "killed"),
    4: (0, "recycled_then_open"),
    5: (0, "overdue"),
    7: (0, "no_quorum"),
}


async def _round(
    actor: Callable[[str], Actor],
    idea_id: int,
    author: str,
    at: datetime,
    decisions: list[str],
) -> int:
    round_id = await gates.submit_to_gate(
        actor(author),
        idea_id,
        now=at,
        rng=random.Random(idea_id),  # noqa: S311 - a repeatable demo
    )
    voters = [demo.key for demo in PEOPLE if not await is_team_member(idea_id, actor(demo.key).id)]
    for offset, decision in enumerate(decisions):
        voter = voters[(idea_id + offset) % len(voters)]
        await gates.cast_vote(
            actor(voter),
            round_id,
            gates.Ballot(decision, _SCORES[decision], _REASONS[decision]),
            now=at + timedelta(hours=6 * (offset + 1)),
        )
    return round_id


async def _seed_gates(actor: Callable[[str], Actor]) -> None:
    """Rounds through the real services, with clocks set in the past so that stages have
    ages and decisions have latencies."""
    rows = await Idea.select(Idea.id, Idea.author.email.as_alias("email")).order_by(Idea.id).run()
    start = datetime.now(UTC) - timedelta(days=75)
    for position, (passes, story) in _JOURNEYS.items():
        if position >= len(rows):
            continue
        idea_id, author = rows[position]["id"], rows[position]["email"].split("@", 1)[0]
        at = start + timedelta(days=position * 2)
        # The idea was proposed before its first round, as it would have been.
        proposed = at - timedelta(days=9 + position)
        await (
            Idea.update({Idea.created_at: proposed, Idea.stage_entered_at: proposed})
            .where(Idea.id == idea_id)
            .run()
        )
        for _gate in range(passes):
            await _round(actor, idea_id, author, at, ["go", "go", "hold", "go"][:3])
            at += timedelta(days=12)
        if story == "killed":
            await _round(actor, idea_id, author, at, ["kill", "kill", "hold"])
        elif story == "recycled_then_open":
            await _round(actor, idea_id, author, at, ["go", "hold", "kill"])
            await _round(actor, idea_id, author, datetime.now(UTC) - timedelta(days=2), ["go"])
        elif story == "overdue":
            await _round(actor, idea_id, author, datetime.now(UTC) - timedelta(days=8), ["hold"])
        elif story == "no_quorum":
            opened = datetime.now(UTC) - timedelta(days=20)
            await _round(actor, idea_id, author, opened, ["go"])
            await gates.sweep_due_rounds(now=opened + timedelta(days=8))
            await gates.sweep_due_rounds(now=opened + timedelta(days=15))


# (author, quote, channel, segment, sentiment, people who heard it too, challenge key)
_INSIGHTS: tuple[tuple[str, str, str, str, str, tuple[str, ...], str | None], ...] = (
    (
        "camille",
        "Votre conseillère a réglé mon problème en cinq minutes, je l'ai dit à toute ma famille.",
        "phone",
        "Familles",
        "praise",
        ("ines", "farid", "emma"),
        "advocates",
    ),
    (
        "ines",
        "J'ai attendu 14 jours mon remboursement, alors que le produit était revenu en magasin le lendemain.",
        "email",
        "Clients web",
        "complaint",
        ("camille", "lea", "hugo", "farid"),
        None,
    ),
    (
        "farid",
        "Si je pouvais suivre l'avancement de ma commande professionnelle, je n'appellerais pas trois fois.",
        "phone",
        "B2B",
        "suggestion",
        ("camille", "ines"),
        None,
    ),
    (
        "jonas",
        "Love the furniture, but the assembly video was better than the paper manual. Put it on the box!",
        "social",
        "Young families",
        "praise",
        ("chloe", "grace"),
        "service_marketing",
    ),
    (
        "chloe",
        "Un client a posté la photo de son meuble monté avec le hashtag de la marque — 2 000 likes.",
        "social",
        "Jeunes actifs",
        "praise",
        ("jonas", "camille", "ines"),
        "advocates",
    ),
    (
        "farid",
        "The drawer rail was missing again. Third time this year with this model.",
        "store",
        "Loyalty members",
        "complaint",
        ("bruno", "hugo", "ines"),
        None,
    ),
    (
        "emma",
        "In store, nobody could tell me whether the table fits a 90 cm wall. The website could.",
        "store",
        "Loyalty members",
        "complaint",
        ("grace", "jonas"),
        None,
    ),
    (
        "camille",
        "Pourquoi ne pas proposer un atelier montage le samedi ? Je viendrais avec mes enfants.",
        "store",
        "Familles",
        "suggestion",
        ("chloe", "emma", "farid"),
        "advocates",
    ),
)


async def _seed_insights(actor: Callable[[str], Actor], challenge_ids: dict[str, int]) -> None:
    for author, quote, channel, segment, sentiment, echoes, challenge in _INSIGHTS:
        insight_id = await insights.log_insight(
            actor(author), insights.InsightDraft(quote, channel, segment, sentiment)
        )
        for key in echoes:
            await insights.toggle_seen(actor(key), insight_id)
        if challenge in challenge_ids:
            await insights.link_insight(
                actor(author), insight_id, "challenge", challenge_ids[challenge]
            )


async def seed_demo() -> list[tuple[str, str, str]]:
    """Seed everything; returns (email, name, roles) for the printed list of logins."""
    await ensure_default_pipeline()
    await seed_content(await seed_people())
    return [
        (demo.email, demo.name, ", ".join(role.value for role in demo.roles) or "member")
        for demo in PEOPLE
    ]
