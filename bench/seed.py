"""Fill a database with a benchmark data set at company scale, fast (issue #10).

    .venv/bin/python bench/seed.py --database-url sqlite:////tmp/bench.db
    .venv/bin/python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/bench

The schema is the app's own: its migrations run first. The rows then go in by bulk
(executemany on the SQLite file, COPY on PostgreSQL), made by one seeded generator with
the skew of a real portal: a few ideas draw most supports and comments, most people
support rarely, most ideas never leave the first stage. Progress goes to stderr; the last
line on stdout is a JSON summary for bench/run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

# Importing Piccolo's SQLite engine registers its sqlite3 adapters (datetime → UTC text,
# list → JSON): rows written through the stdlib driver are stored exactly as the app's.
from piccolo.engine.sqlite import SQLiteEngine

from incubator.accounts.passwords import hash_password
from incubator.accounts.roles import ALL_ROLES, Role
from incubator.db.migrate import migrate
from incubator.db.transactions import engine
from incubator.gates.pipelines import NextGate, ensure_default_pipeline, next_gate, stages_of
from incubator.gates.rules import Tally, tally
from incubator.gates.services import PANEL_EXTRA
from incubator.gates.tables import Decision, RoundStatus
from incubator.ideas.search import fold
from incubator.ideas.tables import IdeaStatus, TeamRole
from incubator.settings import SettingsError, get_settings

BENCH_ID = 1
BENCH_EMAIL = "bench@bench.example"
PASSWORD = "incubator-bench"  # noqa: S105 - printed for the benchmark on purpose
LOGIN_ACCOUNTS = 200
LOGIN_EMAIL = "login{}@bench.example"
BENCH_ROUNDS = 10  # open rounds with the bench user on the panel and no vote yet
MIN_PEOPLE = 1 + LOGIN_ACCOUNTS + 49
MIN_IDEAS = 100
SEED = 42
DAY = 86_400.0
HOUR = 3_600.0
HISTORY_DAYS = 3 * 365
BATCH = 20_000
MARKER = "bench_dataset"

OPEN = RoundStatus.OPEN.value
PASSED = RoundStatus.PASSED.value
RECYCLED = RoundStatus.RECYCLED.value
KILLED = RoundStatus.KILLED.value
NO_QUORUM = RoundStatus.NO_QUORUM.value
SETBACKS = (RECYCLED, NO_QUORUM)

# Tables in foreign-key order: the order they are loaded in.
LOAD_ORDER = (
    "department",
    "skill",
    "person",
    "person_skill",
    "challenge",
    "challenge_tag",
    "idea",
    "idea_tag",
    "team_member",
    "support",
    "comment",
    "follow",
    "gate_round",
    "panel_member",
    "vote",
)


# Columns the generator fills (the others keep their defaults), in row order.
PERSON_COLUMNS = (
    "id", "email", "name", "password_hash", "department", "bio", "job_title", "locale", "roles",
    "is_active", "created_at", "last_login_at",
)  # fmt: skip
GATE_ROUND_COLUMNS = (
    "id", "idea", "gate", "number", "from_stage", "to_stage", "final", "status", "quorum",
    "threshold", "window_days", "early_close", "criteria", "snapshot", "vote_count",
    "opened_by", "opened_at", "closes_at", "extended", "decided_at", "tally",
)  # fmt: skip
CHALLENGE_COLUMNS = (
    "id", "title", "problem", "author", "sponsor", "source", "status", "closes_on",
    "idea_count", "created_at", "updated_at",
)  # fmt: skip
IDEA_COLUMNS = (
    "id", "title", "summary", "description", "challenge", "author", "status", "stage",
    "stage_entered_at", "blind", "revealed_at", "support_count", "comment_count", "created_at",
    "updated_at", "tags",
)  # fmt: skip


# ---------------------------------------------------------------------------------------
# The company's vocabulary
# ---------------------------------------------------------------------------------------


class DepartmentKind(NamedTuple):
    name: str
    weight: int  # share of the staff
    skills: tuple[str, ...]
    titles: tuple[str, ...]


DEPARTMENTS = (
    DepartmentKind("IT", 12, ("python", "data", "security", "cloud"), ("Engineer", "Architect")),
    DepartmentKind(
        "Finance", 6, ("budget", "business case", "forecasting"), ("Controller", "Accountant")
    ),
    DepartmentKind(
        "Marketing", 7, ("digital marketing", "seo", "copywriting"), ("Brand manager", "Analyst")
    ),
    DepartmentKind(
        "Operations",
        22,
        ("maintenance", "lean", "automation", "iot"),
        ("Shift lead", "Technician", "Plant manager"),
    ),
    DepartmentKind(
        "Customer Service",
        18,
        ("customer relations", "support", "social media", "quality"),
        ("Advisor", "Team lead"),
    ),
    DepartmentKind(
        "Sales", 14, ("negotiation", "key accounts", "pricing", "crm"), ("Account manager",)
    ),
    DepartmentKind(
        "Human Resources", 5, ("recruiting", "training", "change management"), ("HR partner",)
    ),
    DepartmentKind(
        "Logistics", 9, ("supply chain", "warehousing", "transport"), ("Planner", "Dispatcher")
    ),
    DepartmentKind("Legal", 2, ("contracts", "compliance", "privacy"), ("Counsel",)),
    DepartmentKind(
        "Research & Development", 5, ("prototyping", "ux", "design"), ("Designer", "Researcher")
    ),
)
GENERAL_SKILLS = ("project management", "facilitation", "excel", "public speaking")
SKILLS = (*(skill for kind in DEPARTMENTS for skill in kind.skills), *GENERAL_SKILLS)
# Tags and skills share one vocabulary, so panels can match an idea's tags to skills.
TAGS = (
    *SKILLS, "sustainability", "customer experience", "cost saving", "safety", "mobile", "ai",
    "onboarding", "energy", "packaging", "retail", "remote work", "wellbeing", "paperless",
    "self-service",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Amir", "Béatrice", "Bruno", "Camille", "Chen", "Chloé", "Dalia", "David", "Élodie",
    "Emma", "Farid", "Felix", "Gaëlle", "Grace", "Hana", "Hugo", "Inès", "Ivan", "Jonas",
    "Julie", "Karim", "Léa", "Lucia", "Malik", "Mateo", "Noé", "Nora", "Oscar", "Paula",
    "Quentin", "Rosa", "Samir", "Tess", "Ugo", "Vera", "Wen", "Xavier", "Yara", "Zoé",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Durand", "Lefèvre", "Martin", "Chen", "Rossi", "Benali", "Kim", "Moreau",
    "Garcia", "Weber", "Petit", "Nguyen", "Dubois", "Schmidt", "Haddad", "Silva", "Novak",
    "Laurent", "Fischer", "Costa", "Bernard", "Kowalski", "Girard", "Müller", "Fontaine",
    "Ibrahim", "Roux", "Jensen", "Mercier", "Tanaka", "Blanc", "Ortega", "Faure", "Sato",
)  # fmt: skip
BIOS = (
    "Working in {dept} for {n} years.",
    "Happy to help any team with {skill}.",
    "I like turning complaints into ideas.",
    "Ask me about {skill}, or about the coffee machine on floor {n}.",
    "Je travaille en {dept} depuis {n} ans.",
)


class Words(NamedTuple):
    """Sentence parts for one language; `{obj}`, `{dept}` and `{n}` are filled in."""

    verbs: tuple[str, ...]
    objects: tuple[str, ...]
    contexts: tuple[str, ...]
    problems: tuple[str, ...]
    benefits: tuple[str, ...]
    sentences: tuple[str, ...]
    comments: tuple[str, ...]
    challenge: str


# fmt: off
ENGLISH = Words(
    verbs=(
        "Automate", "Simplify", "Digitise", "Reduce", "Share", "Track", "Predict",
        "Standardise", "Speed up", "Rethink", "Pilot", "Bundle", "Measure", "Recycle",
        "Schedule", "Personalise", "Centralise", "Gamify",
    ),
    objects=(
        "invoice approval", "returns handling", "spare parts ordering", "customer onboarding",
        "shift planning", "energy use", "delivery slots", "training paths", "expense reports",
        "warehouse picking", "complaint handling", "supplier audits", "store layouts",
        "loyalty rewards", "machine maintenance", "packaging waste", "meeting rooms",
        "IT tickets", "price quotes", "contract reviews", "sales forecasts", "stock counts",
        "quality checks", "travel booking", "customer feedback", "product labels",
        "van routes", "job interviews", "knowledge sharing", "safety inspections",
    ),
    contexts=(
        "for field technicians", "in every store", "with a mobile app", "for new hires",
        "using sensors", "with a chatbot", "across departments", "for small customers",
        "in the warehouse", "at the call centre", "with suppliers", "on the night shift",
        "for key accounts", "in two weeks", "without new software", "with a shared dashboard",
        "for the whole region", "before peak season", "using past data", "with customer panels",
    ),
    problems=(
        "Today {obj} takes days and a chain of e-mails",
        "Customers keep telling us that {obj} is confusing",
        "Every site handles {obj} its own way",
        "We lose hours every week on {obj}",
        "We still run {obj} from a spreadsheet nobody trusts",
        "Most complaints last quarter were about {obj}",
    ),
    benefits=(
        "This could save about {n} hours a week.",
        "Customers would notice within a month.",
        "A pilot needs one team and {n} weeks.",
        "It would pay for itself within a year.",
        "It frees people for work customers value.",
        "Two other sites already asked for it.",
    ),
    sentences=(
        "We tried a manual version in {dept} last spring and it halved the waiting time.",
        "The first step is a small pilot with {n} volunteers.",
        "Nothing here needs new software: we can start with the tools we have.",
        "The main risk is adoption, so we would train a few champions first.",
        "We would measure the time spent on {obj} before and after.",
        "Suppliers said they are ready to try it with us.",
        "If it works, every region can copy it in a few weeks.",
        "Budget: under {n} thousand euros for the first three months.",
        "Customer service already collects the data we need.",
        "Open questions: who owns it after the pilot, and how we keep it simple.",
    ),
    comments=(
        "Love this, we have the same problem in {dept}.",
        "How would this work for part-time staff?",
        "+1, customers ask for this every week.",
        "We tried something similar a while ago; happy to share what we learned.",
        "What would the pilot cost?",
        "Count me in for the pilot.",
        "Could this reuse the tool {dept} already has?",
        "This would save my team about {n} hours a week.",
        "Have you talked to legal about it?",
        "Great idea, but the hard part is the rollout.",
    ),
    challenge="How might we {verb} {obj} {context}?",
)
FRENCH = Words(
    verbs=(
        "Automatiser", "Simplifier", "Réduire", "Partager", "Suivre", "Prévoir", "Numériser",
        "Repenser", "Mesurer", "Mutualiser",
    ),
    objects=(
        "le traitement des retours", "les délais de remboursement",
        "la planification des équipes", "la consommation d'énergie",
        "les commandes de pièces détachées", "l'accueil des nouveaux clients",
        "les notes de frais", "les tournées de livraison", "le tri des déchets d'emballage",
        "les contrôles qualité", "les réclamations clients", "les inventaires en magasin",
    ),
    contexts=(
        "en magasin", "pour les techniciens", "avec une application mobile",
        "dès la première semaine", "entre les services", "pour les petits clients",
        "à l'entrepôt", "au centre d'appels", "avec nos fournisseurs", "avant la haute saison",
    ),
    problems=(
        "Aujourd'hui, {obj} prend des jours et une chaîne de courriels",
        "Chaque site gère {obj} à sa façon",
        "Nos clients trouvent {obj} compliqué",
        "Nous perdons des heures chaque semaine sur {obj}",
    ),
    benefits=(
        "Cela économiserait environ {n} heures par semaine.",
        "Les clients le verraient en moins d'un mois.",
        "Un pilote demande une équipe et {n} semaines.",
        "L'investissement serait rentabilisé en un an.",
    ),
    sentences=(
        "Nous avons essayé une version manuelle en {dept} et le délai a été divisé par deux.",
        "Première étape : un petit pilote avec {n} volontaires.",
        "Pas besoin de nouveau logiciel : on peut commencer avec nos outils.",
        "Le risque principal est l'adoption ; nous formerions d'abord quelques relais.",
        "Nous mesurerions le temps passé sur {obj} avant et après.",
        "Si cela marche, chaque région pourra le reprendre en quelques semaines.",
        "Budget : moins de {n} mille euros pour les trois premiers mois.",
    ),
    comments=(
        "Excellente idée, nous avons le même problème en {dept}.",
        "Comment cela fonctionnerait-il pour les équipes de nuit ?",
        "+1, les clients le demandent chaque semaine.",
        "Je suis partant pour le pilote.",
        "Quel serait le coût du pilote ?",
        "On a essayé quelque chose de proche, je peux partager le retour d'expérience.",
    ),
    challenge="Comment {verb} {obj} {context} ?",
)
# fmt: on
RATIONALES = {
    Decision.GO.value: (
        "Clients will notice within weeks.",
        "Cheap to try and easy to stop.",
        "Les clients le verront en quelques semaines.",
    ),
    Decision.HOLD.value: (
        "Promising, but the cost is unclear.",
        "Needs a clearer owner before the next stage.",
        "Prometteur, mais le coût reste flou.",
    ),
    Decision.KILL.value: (
        "Another team already solves this.",
        "The savings do not cover the running cost.",
        "Une autre équipe règle déjà ce problème.",
    ),
}
SCORE_RANGES = {
    Decision.GO.value: (3, 5),
    Decision.HOLD.value: (2, 4),
    Decision.KILL.value: (1, 2),
}
# Quorum-sized vote patterns that lead to each outcome (checked against the real rule).
BALLOT_PATTERNS = {
    PASSED: (("go", "go", "go"), ("go", "go", "hold")),
    KILLED: (("kill", "kill", "hold"), ("kill", "kill", "kill"), ("kill", "kill", "go")),
    RECYCLED: (("go", "hold", "hold"), ("go", "hold", "kill"), ("hold", "hold", "go")),
}
# Where ideas stand, first stage first: most never leave it.
STAGE_WEIGHTS = (70, 16, 8, 4, 2)
DAYS_PER_STAGE = 60  # an idea this many days old per stage may have reached it


# ---------------------------------------------------------------------------------------
# The data set, made in memory
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    people: int
    ideas: int
    votes: int  # supports ("I want this")
    comments: int


@dataclass
class TableRows:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class DataSet:
    tables: list[TableRows]
    # Per idea: id, then title, summary and body as the search index stores them.
    search: list[tuple[int, str, str, str]]
    bench_round_ids: list[int]
    hot_idea_id: int
    search_term: str


@dataclass(slots=True)
class IdeaFacts:
    id: int
    created: float
    author: int
    french: bool
    challenge: int | None = None
    title: str = ""
    summary: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    blind: bool = False
    stage: int = 0
    status: str = IdeaStatus.ACTIVE.value
    journey: list[str] = field(default_factory=list)  # outcome of each round, in order
    team: list[int] = field(default_factory=list)  # the author first
    joined: list[float] = field(default_factory=list)  # when each team member joined
    stage_entered: float = 0.0
    revealed: float | None = None


@dataclass(slots=True)
class ChallengeFacts:
    id: int
    created: float
    closes: float  # ideas are taken until then
    appeal: float  # how much more often it draws ideas than others
    row: tuple[Any, ...]  # the challenge row, less idea_count and updated_at


@dataclass(slots=True)
class RoundFacts:
    idea: IdeaFacts
    number: int
    position: int  # of the stage it leads out of
    status: str
    opened: float
    closes: float
    decided: float | None
    extended: bool
    panel: list[int]
    votes: list[tuple[int, float, dict[str, Any]]]  # voter, cast at, ballot
    tally: str
    id: int = 0


def at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def folded(text: str) -> str:
    """The search index's normalisation, `search.fold`, applied word by word: it folds
    each character on its own, so the result is the same, and the words are few."""
    return " ".join(folded_word(word) for word in text.split(" "))


@lru_cache(maxsize=65_536)
def folded_word(word: str) -> str:
    return fold(word)


def slug(text: str) -> str:
    return "".join(char for char in fold(text) if char.isalnum())


def skewed(rng: random.Random, count: int, *, offset: float, active: float = 1.0) -> list[float]:
    """Zipf–Mandelbrot weights 1 / (rank + offset) over `count` items ranked at random; the
    items past the `active` share of ranks weigh nothing (they never take part)."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    cutoff = count * active
    return [1.0 / (rank + offset) if rank <= cutoff else 0.0 for rank in ranks]


class CompanyBuilder:
    """Makes every row in memory from one seeded generator; ids are given here, in the
    order of creation times, so that rows can refer to each other before any is stored."""

    def __init__(
        self,
        size: Size,
        *,
        stages: list[str],
        gates: list[NextGate],
        password_hash: str,
        now: float,
    ) -> None:
        self.size = size
        self.stages = stages
        self.gates = gates
        self.password_hash = password_hash
        self.rng = random.Random(SEED)
        self.now = now
        self.start = now - HISTORY_DAYS * DAY
        self.criteria_json = [json.dumps(gate.criteria) for gate in gates]
        self.tables: dict[str, TableRows] = {}
        # Per person id (index 0 unused).
        self.joined: list[float] = []
        self.department: list[int] = []
        self.french: list[bool] = []
        self.active_people: list[int] = []  # the bench user aside
        self.by_department: dict[int, list[int]] = {}
        self.challenges: list[ChallengeFacts] = []
        self.ideas: list[IdeaFacts] = []
        # One popularity order for ideas (1 the most popular), shared by supports and comments.
        self.idea_rank = list(range(1, size.ideas + 1))
        self.rng.shuffle(self.idea_rank)

    def build(self) -> DataSet:
        self._departments_and_skills()
        self._people()
        self._challenges()
        self._ideas()
        bench_rounds = self._rounds()
        supports = self._supports()
        comments = self._comments()
        search = self._idea_rows(supports, comments)
        hot = max(self.ideas, key=lambda idea: (supports[idea.id], -idea.id))
        return DataSet(
            tables=[self.tables[name] for name in LOAD_ORDER],
            search=search,
            bench_round_ids=bench_rounds,
            hot_idea_id=hot.id,
            search_term=self._search_term(hot),
        )

    def _search_term(self, idea: IdeaFacts) -> str:
        """The word of the idea's title that the fewest titles share: a specific search."""
        titles = Counter(word for other in self.ideas for word in set(folded(other.title).split()))
        words = [word for word in folded(idea.title).split() if len(word) > 3]
        return min(words, key=lambda word: (titles[word], word))

    def _add(self, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.tables[name] = TableRows(name, columns, rows)

    def _after(self, moment: float, mean_days: float) -> float:
        """A moment some days later (exponentially distributed), never in the future."""
        later = moment + self.rng.expovariate(1 / (mean_days * DAY))
        return later if later < self.now else moment + (self.now - moment) * self.rng.random()

    def _person_weights(self, *, active: float, offset: float) -> list[float]:
        """Cumulative weights over people 2…n: the bench user (1) only watches."""
        weights = skewed(self.rng, self.size.people - 1, offset=offset, active=active)
        return list(itertools.accumulate(weights))

    def _idea_weights(self, offset: float) -> list[float]:
        """Cumulative weights over ideas: the same few ideas lead, more so if they advanced."""
        weights = (
            (1 + idea.stage) / (rank + offset)
            for idea, rank in zip(self.ideas, self.idea_rank, strict=True)
        )
        return list(itertools.accumulate(weights))

    # People -----------------------------------------------------------------------------

    def _departments_and_skills(self) -> None:
        self._add(
            "department",
            ("id", "name"),
            [(number, kind.name) for number, kind in enumerate(DEPARTMENTS, 1)],
        )
        self._add(
            "skill", ("id", "name"), [(number, name) for number, name in enumerate(SKILLS, 1)]
        )

    def _people(self) -> None:
        rng, count = self.rng, self.size.people
        launch = self.start - 30 * DAY
        accounts = 1 + LOGIN_ACCOUNTS  # the bench user and the login accounts come first
        # Most people arrive when the portal opens; the rest join over the years.
        later = sorted(
            rng.uniform(launch, self.start)
            if rng.random() < 0.7
            else rng.uniform(self.start, self.now - 7 * DAY)
            for _ in range(count - accounts)
        )
        self.joined = [0.0] + [launch - DAY + n for n in range(accounts)] + later
        weights = [kind.weight for kind in DEPARTMENTS]
        self.department = [0, 1, *rng.choices(range(1, len(DEPARTMENTS) + 1), weights, k=count - 1)]
        self.french = [False, False] + [rng.random() < 0.3 for _ in range(count - 1)]
        roles = self._roles()
        inactive = set(rng.sample(range(accounts + 1, count + 1), k=count // 50))
        self.active_people = [pid for pid in range(2, count + 1) if pid not in inactive]
        for pid in self.active_people:
            self.by_department.setdefault(self.department[pid], []).append(pid)
        skill_ids = {name: number for number, name in enumerate(SKILLS, 1)}
        people: list[tuple[Any, ...]] = []
        person_skills: list[tuple[Any, ...]] = []
        for pid in range(1, count + 1):
            kind = DEPARTMENTS[self.department[pid] - 1]
            name, email = self._identity(pid)
            skills = rng.sample(kind.skills, rng.randint(1, min(3, len(kind.skills))))
            if rng.random() < 0.4:
                skills.append(rng.choice(GENERAL_SKILLS))
            for skill in skills:
                person_skills.append((len(person_skills) + 1, pid, skill_ids[skill]))
            fill = {"dept": kind.name, "n": rng.randint(2, 20), "skill": skills[0]}
            bio = rng.choice(BIOS).format(**fill) if rng.random() < 0.4 else ""
            title = rng.choice(kind.titles) if rng.random() < 0.7 else ""
            seen = self.now - rng.uniform(0, 60 * DAY) if rng.random() < 0.6 else None
            people.append(
                (
                    pid,
                    email,
                    name,
                    self.password_hash,
                    self.department[pid],
                    bio,
                    title,
                    "fr" if self.french[pid] else "en",
                    roles.get(pid, []),
                    pid not in inactive,
                    at(self.joined[pid]),
                    None if seen is None else at(seen),
                )
            )
        self._add("person", PERSON_COLUMNS, people)
        self._add("person_skill", ("id", "person", "skill"), person_skills)

    def _roles(self) -> dict[int, list[str]]:
        """The bench user holds every role; a few others steward, lead or administer."""
        rng, count = self.rng, self.size.people
        regular = range(2 + LOGIN_ACCOUNTS, count + 1)
        held: dict[int, set[Role]] = {BENCH_ID: set(ALL_ROLES)}
        for role, share in ((Role.STEWARD, 200), (Role.LEADERSHIP, 500), (Role.ADMIN, 2500)):
            for pid in rng.sample(regular, k=max(2, count // share)):
                held.setdefault(pid, set()).add(role)
        return {
            pid: [role.value for role in ALL_ROLES if role in roles] for pid, roles in held.items()
        }

    def _identity(self, pid: int) -> tuple[str, str]:
        if pid == BENCH_ID:
            return "Bench Runner", BENCH_EMAIL
        if pid <= 1 + LOGIN_ACCOUNTS:
            number = pid - 2
            return f"Login Tester {number}", LOGIN_EMAIL.format(number)
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return f"{first} {last}", f"{slug(first)}.{slug(last)}.{pid}@bench.example"

    def _pick_person(self, population: range, weights: list[float], moment: float) -> int:
        """A person drawn by weight who had joined by `moment` (a few tries, then anyone)."""
        for person in self.rng.choices(population, cum_weights=weights, k=8):
            if self.joined[person] <= moment:
                return person
        return self.rng.choice(range(2, 2 + LOGIN_ACCOUNTS))

    # Challenges and ideas ---------------------------------------------------------------

    def _challenges(self) -> None:
        rng = self.rng
        count = min(50, max(3, self.size.ideas // 60))
        hosts = [pid for pid in self.active_people if pid > 1 + LOGIN_ACCOUNTS]
        created = sorted(rng.uniform(self.start, self.now - 30 * DAY) for _ in range(count))
        appeals = skewed(rng, count, offset=2)
        tags: list[tuple[Any, ...]] = []
        for number, (opened, appeal) in enumerate(zip(created, appeals, strict=True), 1):
            closes = opened + rng.uniform(60, 300) * DAY
            closes_on: date | None
            if closes < self.now:
                status = "archived" if rng.random() < 0.2 else "closed"
                closes_on = at(closes).date()
            else:
                status = "open"
                closes_on = at(closes).date() if rng.random() < 0.7 else None
                closes = closes if closes_on else self.now
            words = FRENCH if rng.random() < 0.2 else ENGLISH
            title = words.challenge.format(
                verb=rng.choice(words.verbs).lower(),
                obj=rng.choice(words.objects),
                context=rng.choice(words.contexts),
            )
            fill = {"obj": rng.choice(words.objects), "dept": rng.choice(DEPARTMENTS).name, "n": 12}
            problem = " ".join(
                sentence.format(**fill) for sentence in rng.sample(words.sentences, 3)
            )
            source = rng.choices(("customer", "internal", "strategic"), weights=(4, 4, 2))[0]
            sponsor = rng.choice(hosts) if rng.random() < 0.7 else None
            row = (number, title, problem, rng.choice(hosts), sponsor, source, status, closes_on)
            self.challenges.append(ChallengeFacts(number, opened, closes, appeal, row))
            for tag in rng.sample(TAGS, rng.randint(1, 3)):
                tags.append((len(tags) + 1, number, tag))
        self._add("challenge_tag", ("id", "challenge", "tag"), tags)

    def _challenge_for(self, taking: list[ChallengeFacts]) -> int | None:
        """Most ideas answer one of the challenges taking ideas at the time."""
        if not taking or self.rng.random() > 0.85:
            return None
        return self.rng.choices(taking, weights=[challenge.appeal for challenge in taking])[0].id

    def _ideas(self) -> None:
        rng, count = self.rng, self.size.ideas
        span = self.now - HOUR - self.start
        # More ideas lately than at the start: the portal caught on.
        created = sorted(self.start + span * rng.random() ** 0.75 for _ in range(count))
        authors = range(2, self.size.people + 1)
        author_weights = self._person_weights(active=0.6, offset=20)
        upcoming = iter(self.challenges)  # in order of creation
        next_challenge = next(upcoming, None)
        taking: list[ChallengeFacts] = []
        tag_weights = list(itertools.accumulate(1 / (rank + 3) for rank in range(len(TAGS))))
        for number, moment in enumerate(created, 1):
            while next_challenge is not None and next_challenge.created <= moment:
                taking.append(next_challenge)
                next_challenge = next(upcoming, None)
            taking = [challenge for challenge in taking if challenge.closes >= moment]
            author = self._pick_person(authors, author_weights, moment)
            french = rng.random() < (0.8 if self.french[author] else 0.05)
            idea = IdeaFacts(number, moment, author, french)
            idea.title, idea.summary, idea.description = self._idea_text(french)
            idea.challenge = self._challenge_for(taking)
            idea.tags = sorted(set(rng.choices(TAGS, cum_weights=tag_weights, k=rng.randint(1, 4))))
            idea.blind = rng.random() < 0.03
            self._journey(idea)
            self.ideas.append(idea)

    def _idea_text(self, french: bool) -> tuple[str, str, str]:
        rng = self.rng
        words = FRENCH if french else ENGLISH
        obj = rng.choice(words.objects)
        fill = {"obj": obj, "dept": rng.choice(DEPARTMENTS).name, "n": rng.randint(2, 40)}
        title = f"{rng.choice(words.verbs)} {obj} {rng.choice(words.contexts)}"
        summary = (
            f"{rng.choice(words.problems).format(**fill)}. "
            f"{rng.choice(words.benefits).format(**fill)}"
        )
        description = "\n\n".join(
            " ".join(sentence.format(**fill) for sentence in rng.sample(words.sentences, 3))
            for _ in range(rng.randint(1, 3))
        )
        return title, summary, description

    def _journey(self, idea: IdeaFacts) -> None:
        """The idea's stage, status and the outcome of each of its rounds so far."""
        rng = self.rng
        age_days = (self.now - idea.created) / DAY
        last = len(self.stages) - 1
        if age_days < 30:  # too young to have been judged; it may be waiting for a panel
            idea.journey = [OPEN] if rng.random() < 0.05 else []
            return
        top = min(last, int(age_days // DAYS_PER_STAGE))
        idea.stage = rng.choices(range(top + 1), weights=STAGE_WEIGHTS[: top + 1])[0]
        for _ in range(idea.stage):
            idea.journey += [*self._setbacks(), PASSED]
        chance = rng.random()
        if idea.stage == last:
            idea.status = IdeaStatus.GRADUATED.value
        elif chance < 0.10:
            idea.status = IdeaStatus.KILLED.value
            idea.journey += [*self._setbacks(), KILLED]
        elif chance < 0.14:
            idea.status = IdeaStatus.ON_HOLD.value
        elif chance < 0.19:
            idea.journey.append(OPEN)
        elif chance < 0.27:
            idea.journey.append(rng.choice(SETBACKS))  # waiting to be submitted again

    def _setbacks(self) -> list[str]:
        count = self.rng.choices((0, 1, 2), weights=(75, 20, 5))[0]
        return self.rng.choices(SETBACKS, weights=(4, 1), k=count)

    def _team(self, idea: IdeaFacts) -> None:
        """The author owns the team; up to four colleagues join, at least one from another
        department when a gate on its way demanded a cross-functional team."""
        rng = self.rng
        mixed = any(
            self.gates[position].gate["require_cross_functional"]
            for position in positions(idea.journey)
        )
        members = rng.choices(range(5), weights=(40, 25, 18, 10, 7))[0]
        home = self.department[idea.author]
        idea.team = [idea.author]
        while len(idea.team) < 1 + max(members, int(mixed)):
            need_other = mixed and len(idea.team) == 1
            colleagues = self.by_department.get(home, [])
            same_department = bool(colleagues) and not need_other and rng.random() < 0.5
            person = rng.choice(colleagues if same_department else self.active_people)
            if person in idea.team or (need_other and self.department[person] == home):
                continue
            idea.team.append(person)
        idea.joined = [idea.created] + [
            min(max(idea.created + rng.uniform(0, 30 * DAY), self.joined[person]), self.now - 60)
            for person in idea.team[1:]
        ]

    # Gate rounds ------------------------------------------------------------------------

    def _rounds(self) -> list[int]:
        """Every idea's rounds, with panels and votes; returns the bench user's rounds."""
        bench_ideas = self._bench_ideas()
        for idea in self.ideas:
            self._team(idea)
        rounds = [
            round_
            for idea in self.ideas
            for round_ in self._schedule(idea, for_bench=idea.id in bench_ideas)
        ]
        rounds.sort(key=lambda round_: round_.opened)
        for number, round_ in enumerate(rounds, 1):
            round_.id = number
        snapshots = {
            round_.idea.id: json.dumps(
                {
                    "title": round_.idea.title,
                    "summary": round_.idea.summary,
                    "description": round_.idea.description,
                    "tags": round_.idea.tags,
                }
            )
            for round_ in rounds
        }
        rows = []
        for round_ in rounds:
            gate = self.gates[round_.position]
            rows.append(
                (
                    round_.id,
                    round_.idea.id,
                    gate.gate["id"],
                    round_.number,
                    gate.from_stage,
                    gate.to_stage,
                    gate.final,
                    round_.status,
                    gate.gate["quorum"],
                    gate.gate["threshold"],
                    gate.gate["window_days"],
                    gate.gate["early_close"],
                    self.criteria_json[round_.position],
                    snapshots[round_.idea.id],
                    len(round_.votes),
                    round_.idea.author,
                    at(round_.opened),
                    at(round_.closes),
                    round_.extended,
                    None if round_.decided is None else at(round_.decided),
                    round_.tally,
                )
            )
        self._add(
            "gate_round",
            GATE_ROUND_COLUMNS,
            rows,
        )
        self._add(
            "panel_member",
            ("id", "round", "person", "invited_at"),
            [
                (number, round_.id, person, at(round_.opened))
                for number, (round_, person) in enumerate(
                    ((round_, person) for round_ in rounds for person in round_.panel), 1
                )
            ],
        )
        votes = sorted(
            (
                (cast, round_.id, voter, ballot)
                for round_ in rounds
                for voter, cast, ballot in round_.votes
            ),
            key=lambda vote: vote[0],
        )
        self._add(
            "vote",
            ("id", "round", "voter", "decision", "scores", "rationale", "cast_at", "updated_at"),
            [
                (
                    number,
                    round_id,
                    voter,
                    ballot["decision"],
                    json.dumps(ballot["scores"]),
                    ballot["rationale"],
                    at(cast),
                    at(cast),
                )
                for number, (cast, round_id, voter, ballot) in enumerate(votes, 1)
            ],
        )
        return sorted(
            round_.id
            for round_ in rounds
            if round_.idea.id in bench_ideas and round_.status == OPEN
        )

    def _bench_ideas(self) -> set[int]:
        """Ideas whose open round has the bench user on its panel (and no vote yet)."""
        last = len(self.stages) - 1
        waiting = [idea for idea in self.ideas if idea.journey[-1:] == [OPEN]]
        if len(waiting) < BENCH_ROUNDS:
            idle = [
                idea
                for idea in self.ideas
                if idea.status == IdeaStatus.ACTIVE.value
                and idea.stage < last
                and idea.journey[-1:] != [OPEN]
            ]
            for idea in self.rng.sample(idle, BENCH_ROUNDS - len(waiting)):
                idea.journey.append(OPEN)
                waiting.append(idea)
        return {idea.id for idea in self.rng.sample(waiting, BENCH_ROUNDS)}

    def _schedule(self, idea: IdeaFacts, *, for_bench: bool) -> list[RoundFacts]:
        """Lay the idea's rounds out in time between its creation and now."""
        rng = self.rng
        waiting = idea.journey[-1:] == [OPEN]
        if waiting:
            back = rng.uniform(HOUR, 12 * HOUR if for_bench else 6.5 * DAY)
            end = max(self.now - back, idea.created + 60)
        else:
            end = self.now - HOUR
        # (outcome, position, vote offsets, length) of each decided round.
        plans = [
            (outcome, position, *self._voting_time(outcome, position))
            for outcome, position in zip(idea.journey, positions(idea.journey), strict=True)
            if outcome != OPEN
        ]
        while sum(plan[3] for plan in plans) > end - idea.created:  # drop setbacks to fit
            setback = max(i for i, plan in enumerate(plans) if plan[0] in SETBACKS)
            del plans[setback]
        idea.journey = [plan[0] for plan in plans] + ([OPEN] if waiting else [])
        gaps = [rng.expovariate(1 / (20 * DAY)) for _ in range(len(plans) + waiting)]
        spare = end - idea.created - sum(plan[3] for plan in plans)
        scale = min(1.0, spare / sum(gaps)) if gaps else 1.0
        moment, rounds = idea.created, []
        idea.stage_entered = idea.created
        for number, ((outcome, position, offsets, length), gap) in enumerate(
            zip(plans, gaps, strict=False), 1
        ):
            opened = moment + gap * scale
            rounds.append(
                self._decided_round(idea, number, position, outcome, opened, offsets, length)
            )
            moment = opened + length
            if outcome == PASSED:
                idea.stage_entered = moment
                if idea.blind and idea.revealed is None:
                    idea.revealed = moment  # passing the first gate reveals a blind idea
        if waiting:
            position = positions(idea.journey)[-1]
            rounds.append(self._open_round(idea, len(plans) + 1, position, end, for_bench))
        return rounds

    def _voting_time(self, outcome: str, position: int) -> tuple[list[float], float]:
        """Offsets of the votes from the opening, and how long until the decision: the
        quorum-th vote closes a round early; a round without quorum is extended once,
        then decided by the minute sweep."""
        gate = self.gates[position].gate
        window = gate["window_days"] * DAY
        if outcome == NO_QUORUM:
            count = self.rng.randrange(gate["quorum"])
            offsets = sorted(self.rng.uniform(0.1 * DAY, 2 * window) for _ in range(count))
            return offsets, 2 * window + self.rng.uniform(0, 60)
        offsets = sorted(self.rng.uniform(0.05 * DAY, window) for _ in range(gate["quorum"]))
        return offsets, offsets[-1]

    def _decided_round(
        self,
        idea: IdeaFacts,
        number: int,
        position: int,
        outcome: str,
        opened: float,
        offsets: list[float],
        length: float,
    ) -> RoundFacts:
        gate = self.gates[position].gate
        panel = self._panel(idea, opened, gate["quorum"] + PANEL_EXTRA, with_bench=False)
        extended = outcome == NO_QUORUM
        voters = (
            self.rng.sample(panel, len(offsets))
            if extended
            else self._voters(idea, panel, len(offsets))
        )
        ballots, result = self._ballots(outcome, len(voters), position)
        return RoundFacts(
            idea=idea,
            number=number,
            position=position,
            status=outcome,
            opened=opened,
            closes=opened + gate["window_days"] * DAY * (2 if extended else 1),
            decided=opened + length,
            extended=extended,
            panel=panel,
            votes=[
                (voter, opened + offset, ballot)
                for voter, offset, ballot in zip(voters, offsets, ballots, strict=True)
            ],
            tally=json.dumps(result.as_json()),
        )

    def _open_round(
        self, idea: IdeaFacts, number: int, position: int, opened: float, for_bench: bool
    ) -> RoundFacts:
        """A round still taking votes: fewer than the quorum, or it would have closed."""
        gate = self.gates[position].gate
        panel = self._panel(idea, opened, gate["quorum"] + PANEL_EXTRA, with_bench=for_bench)
        count = 0 if for_bench else self.rng.randrange(gate["quorum"])
        voters = self.rng.sample(panel, count)
        ballots, _ = self._ballots(OPEN, count, position)
        casts = sorted(self.rng.uniform(opened, self.now) for _ in range(count))
        return RoundFacts(
            idea=idea,
            number=number,
            position=position,
            status=OPEN,
            opened=opened,
            closes=opened + gate["window_days"] * DAY,
            decided=None,
            extended=False,
            panel=panel,
            votes=list(zip(voters, casts, ballots, strict=True)),
            tally="{}",
        )

    def _panel(self, idea: IdeaFacts, opened: float, size: int, *, with_bench: bool) -> list[int]:
        """Peers outside the team who had joined by then."""
        panel = [BENCH_ID] if with_bench else []
        while len(panel) < size:
            person = self.rng.choice(self.active_people)
            if person not in panel and person not in idea.team and self.joined[person] <= opened:
                panel.append(person)
        return panel

    def _voters(self, idea: IdeaFacts, panel: list[int], count: int) -> list[int]:
        """Mostly the invited panel; now and then a peer who was not invited."""
        voters = self.rng.sample(panel, count)
        if self.rng.random() < 0.15:
            outsider = self.rng.choice(self.active_people)
            if outsider not in panel and outsider not in idea.team:
                voters[-1] = outsider
        return voters

    def _ballots(
        self, outcome: str, count: int, position: int
    ) -> tuple[list[dict[str, Any]], Tally]:
        """Ballots that lead to `outcome` under the app's own decision rule."""
        gate, criteria = self.gates[position].gate, self.gates[position].criteria
        quorum, threshold = gate["quorum"], gate["threshold"]
        if outcome not in BALLOT_PATTERNS:  # too few votes to decide anything
            ballots = [
                self._ballot(self.rng.choice(tuple(SCORE_RANGES)), criteria) for _ in range(count)
            ]
            return ballots, tally(ballots, criteria, quorum=quorum, threshold=threshold)
        for _ in range(100):
            pattern = self.rng.choice(BALLOT_PATTERNS[outcome])
            ballots = [self._ballot(pattern[i % len(pattern)], criteria) for i in range(count)]
            result = tally(ballots, criteria, quorum=quorum, threshold=threshold)
            if result.outcome == outcome:
                return ballots, result
        raise RuntimeError(f"no ballots found that lead to {outcome!r}")

    def _ballot(self, decision: str, criteria: list[dict[str, Any]]) -> dict[str, Any]:
        low, high = SCORE_RANGES[decision]
        explains = decision == Decision.KILL.value or self.rng.random() < 0.5
        return {
            "decision": decision,
            "scores": {criterion["key"]: self.rng.randint(low, high) for criterion in criteria},
            "rationale": self.rng.choice(RATIONALES[decision]) if explains else "",
        }

    # Supports, comments, follows --------------------------------------------------------

    def _supports(self) -> Counter[int]:
        """Distinct (person, idea) pairs drawn from both skews; never one's own idea."""
        rng, wanted = self.rng, self.size.votes
        idea_weights = self._idea_weights(offset=10)
        person_weights = self._person_weights(active=0.55, offset=5)
        people, ideas = range(2, self.size.people + 1), range(1, self.size.ideas + 1)
        chosen: set[tuple[int, int]] = set()
        pairs: list[tuple[int, int]] = []
        while len(pairs) < wanted:
            draws = wanted - len(pairs) + 1000
            for person, idea_id in zip(
                rng.choices(people, cum_weights=person_weights, k=draws),
                rng.choices(ideas, cum_weights=idea_weights, k=draws),
                strict=True,
            ):
                if person == self.ideas[idea_id - 1].author or (person, idea_id) in chosen:
                    continue
                chosen.add((person, idea_id))
                pairs.append((person, idea_id))
                if len(pairs) == wanted:
                    break
        supports = sorted(
            (
                self._after(max(self.ideas[idea_id - 1].created, self.joined[person]), 20),
                person,
                idea_id,
            )
            for person, idea_id in pairs
        )
        self._add(
            "support",
            ("id", "person", "idea", "created_at"),
            [
                (number, person, idea_id, at(moment))
                for number, (moment, person, idea_id) in enumerate(supports, 1)
            ],
        )
        return Counter(idea_id for _, idea_id in pairs)

    def _comments(self) -> Counter[int]:
        """Threads skewed like supports, three comments in ten a reply; commenting (like
        proposing) follows the idea."""
        rng, total = self.rng, self.size.comments
        idea_weights = self._idea_weights(offset=50)
        commenters = range(2, self.size.people + 1)
        person_weights = self._person_weights(active=0.4, offset=5)
        tops = total - total * 3 // 10
        ideas = rng.choices(range(1, self.size.ideas + 1), cum_weights=idea_weights, k=tops)
        authors = rng.choices(commenters, cum_weights=person_weights, k=total)
        # (moment, is a reply, sequence, idea, author, parent's sequence)
        entries: list[tuple[float, int, int, int, int, int | None]] = []
        for sequence, (idea_id, author) in enumerate(zip(ideas, authors, strict=False)):
            base = max(self.ideas[idea_id - 1].created, self.joined[author])
            entries.append((self._after(base, 10), 0, sequence, idea_id, author, None))
        for sequence in range(tops, total):
            parent = entries[rng.randrange(tops)]
            author = authors[sequence]
            moment = self._after(max(parent[0], self.joined[author]), 1)
            entries.append((moment, 1, sequence, parent[3], author, parent[2]))
        entries.sort()
        ids = {entry[2]: number for number, entry in enumerate(entries, 1)}
        rows = []
        for moment, _, sequence, idea_id, author, parent_sequence in entries:
            words = FRENCH if self.french[author] else ENGLISH
            fill = {"dept": rng.choice(DEPARTMENTS).name, "n": rng.randint(2, 20)}
            body = " ".join(
                line.format(**fill) for line in rng.sample(words.comments, rng.randint(1, 2))
            )
            parent_id = None if parent_sequence is None else ids[parent_sequence]
            rows.append((ids[sequence], "idea", idea_id, parent_id, author, body, at(moment)))
        self._add(
            "comment",
            ("id", "subject_type", "subject_id", "parent", "author", "body", "created_at"),
            rows,
        )
        self._follows(entries)
        return Counter(entry[3] for entry in entries)

    def _follows(self, comments: list[tuple[float, int, int, int, int, int | None]]) -> None:
        first: dict[tuple[int, int], float] = {}
        for idea in self.ideas:
            first[(idea.author, idea.id)] = idea.created
        for moment, _, _, idea_id, author, _ in comments:  # in time order: the first one wins
            first.setdefault((author, idea_id), moment)
        follows = sorted((moment, person, idea_id) for (person, idea_id), moment in first.items())
        self._add(
            "follow",
            ("id", "person", "subject_type", "subject_id", "created_at"),
            [
                (number, person, "idea", idea_id, at(moment))
                for number, (moment, person, idea_id) in enumerate(follows, 1)
            ],
        )

    # Ideas, with their counters ---------------------------------------------------------

    def _idea_rows(
        self, supports: Counter[int], comments: Counter[int]
    ) -> list[tuple[int, str, str, str]]:
        """Ideas, tags, teams and challenges with exact counters; returns the search index."""
        ideas: list[tuple[Any, ...]] = []
        tags: list[tuple[int, str]] = []
        members: list[tuple[float, int, int, str]] = []
        search: list[tuple[int, str, str, str]] = []
        for idea in self.ideas:
            row: tuple[Any, ...] = (
                idea.id,
                idea.title,
                idea.summary,
                idea.description,
                idea.challenge,
                idea.author,
                idea.status,
                self.stages[idea.stage],
                at(idea.stage_entered),
                idea.blind,
                None if idea.revealed is None else at(idea.revealed),
                supports[idea.id],
                comments[idea.id],
                at(idea.created),
                at(idea.created),
                list(idea.tags),
            )
            ideas.append(row)
            tags += [(idea.id, tag) for tag in idea.tags]
            members += [
                (
                    moment,
                    idea.id,
                    person,
                    TeamRole.OWNER.value if person == idea.author else TeamRole.MEMBER.value,
                )
                for person, moment in zip(idea.team, idea.joined, strict=True)
            ]
            body = idea.description + "\n" + " ".join(idea.tags)
            search.append((idea.id, folded(idea.title), folded(idea.summary), folded(body)))
        self._add("idea", IDEA_COLUMNS, ideas)
        self._add("idea_tag", ("id", "idea", "tag"), [(n, *tag) for n, tag in enumerate(tags, 1)])
        members.sort()
        self._add(
            "team_member",
            ("id", "idea", "person", "role", "joined_at"),
            [
                (number, idea_id, person, role, at(moment))
                for number, (moment, idea_id, person, role) in enumerate(members, 1)
            ],
        )
        per_challenge = Counter(idea.challenge for idea in self.ideas)
        self._add(
            "challenge",
            CHALLENGE_COLUMNS,
            [
                (
                    *challenge.row,
                    per_challenge[challenge.id],
                    at(challenge.created),
                    at(challenge.created),
                )
                for challenge in self.challenges
            ],
        )
        return search


def positions(journey: list[str]) -> list[int]:
    """The stage each round leads out of: the next one after every passed round."""
    result, position = [], 0
    for outcome in journey:
        result.append(position)
        position += outcome == PASSED
    return result


# ---------------------------------------------------------------------------------------
# Where the rows go
# ---------------------------------------------------------------------------------------


class SeedError(RuntimeError):
    """The database is not one this script may fill or reuse as it stands."""


@dataclass(frozen=True)
class Marker:
    """The row of the bench_dataset table: what was seeded, on which schema, and the
    summary printed at the end (None while the load is still running)."""

    size: dict[str, int]
    migrations: list[str]
    summary: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Marker:
        return cls(json.loads(row[0]), json.loads(row[1]), row[2] and json.loads(row[2]))

    def as_row(self) -> tuple[str, str, str | None]:
        summary = None if self.summary is None else json.dumps(self.summary)
        return json.dumps(self.size), json.dumps(self.migrations), summary


@dataclass(frozen=True)
class Existing:
    has_people: bool
    marker: Marker | None


MARKER_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {MARKER} (size TEXT NOT NULL, migrations TEXT NOT NULL, "
    "summary TEXT)"
)
APPLIED_MIGRATIONS_SQL = "SELECT name FROM migration ORDER BY name"


# Each counts the rows whose denormalised counter is wrong: all must say 0.
COUNTER_CHECKS = {
    "idea.support_count": "SELECT count(*) FROM idea WHERE support_count <> "
    "(SELECT count(*) FROM support WHERE support.idea = idea.id)",
    "idea.comment_count": "SELECT count(*) FROM idea WHERE comment_count <> "
    "(SELECT count(*) FROM comment WHERE comment.subject_type = 'idea' "
    "AND comment.subject_id = idea.id AND comment.deleted_at IS NULL)",
    "challenge.idea_count": "SELECT count(*) FROM challenge WHERE idea_count <> "
    "(SELECT count(*) FROM idea WHERE idea.challenge = challenge.id)",
    "gate_round.vote_count": "SELECT count(*) FROM gate_round WHERE vote_count <> "
    "(SELECT count(*) FROM vote WHERE vote.round = gate_round.id)",
    "idea_search": "SELECT (SELECT count(*) FROM idea) - (SELECT count(*) FROM idea_search)",
}


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """An INSERT with `?` placeholders (the stdlib sqlite3 style)."""
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names are constants
        f"VALUES ({', '.join('?' * len(columns))})"
    )


def batches(rows: list[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Progress:
    """One line per table on stderr: a live bar on a terminal, the total otherwise."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.perf_counter()
        self.live = sys.stderr.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        if self.live:
            share = self.done / self.total if self.total else 1.0
            print(
                f"\r  {self.label:<14} [{'#' * int(share * 30):<30}] {share:4.0%} {self.done:>9,}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def finish(self) -> None:
        seconds = time.perf_counter() - self.started
        line = f"  {self.label:<14} {self.total:>9,} rows in {seconds:5.1f} s"
        say(f"\r{line:<70}" if self.live else line)


class Store(Protocol):
    async def existing(self) -> Existing: ...

    async def wipe(self) -> None: ...

    async def write_marker(self, marker: Marker) -> None: ...

    async def load(self, data: DataSet) -> None: ...

    async def column(self, sql: str) -> list[Any]: ...

    async def open_rounds(self, ids: list[int]) -> dict[int, datetime]: ...

    async def reopen_rounds(self, ids: list[int], opened: datetime, closes: datetime) -> None: ...

    async def optimize(self) -> None: ...

    async def close(self) -> None: ...


class SQLiteStore:
    """The stdlib driver on the file itself: one connection, no fsync during the load,
    one transaction per table. Its methods block, which is fine: nothing else runs."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 10000")
        return self._db

    async def existing(self) -> Existing:
        if not self.path.exists():
            return Existing(has_people=False, marker=None)
        with closing(sqlite3.connect(self.path)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            has_people = "person" in tables and bool(
                db.execute("SELECT EXISTS (SELECT 1 FROM person)").fetchone()[0]
            )
            row = db.execute(f"SELECT * FROM {MARKER}").fetchone() if MARKER in tables else None  # noqa: S608
        return Existing(has_people, None if row is None else Marker.from_row(row))

    async def wipe(self) -> None:
        await self.close()
        self._remove_files()

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    async def write_marker(self, marker: Marker) -> None:
        self.db.execute(MARKER_TABLE_SQL)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(f"DELETE FROM {MARKER}")  # noqa: S608
            self.db.execute(insert_sql(MARKER, ("size", "migrations", "summary")), marker.as_row())

    async def load(self, data: DataSet) -> None:
        self.db.execute("PRAGMA synchronous = OFF")  # a crash means reseeding anyway
        self.db.execute("PRAGMA cache_size = -262144")  # 256 MiB
        self.db.execute("PRAGMA temp_store = MEMORY")
        # Building an index once the rows are in is far faster than growing it row by row:
        # drop the loaded tables' indexes, then recreate them from their stored SQL.
        names = [table.name for table in data.tables]
        indexes = self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
            f"AND tbl_name IN ({', '.join('?' * len(names))})",
            names,
        ).fetchall()
        for name, _ in indexes:
            self.db.execute(f'DROP INDEX "{name}"')
        for table in data.tables:
            self._insert(table.name, table.columns, table.rows)
        # As search.index_idea writes it: the idea id is the FTS5 rowid.
        self._insert("idea_search", ("rowid", "title", "summary", "body"), data.search)
        progress = Progress("indexes", len(indexes))
        for _, sql in indexes:
            self.db.execute(sql)
            progress.advance(1)
        progress.finish()

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        progress = Progress(table, len(rows))
        sql = insert_sql(table, columns)
        self.db.execute("BEGIN")
        for chunk in batches(rows):
            self.db.executemany(sql, chunk)
            progress.advance(len(chunk))
        self.db.execute("COMMIT")
        progress.finish()

    async def column(self, sql: str) -> list[Any]:
        return [row[0] for row in self.db.execute(sql)]

    async def open_rounds(self, ids: list[int]) -> dict[int, datetime]:
        marks = ", ".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id, closes_at FROM gate_round WHERE status = 'open' AND id IN ({marks})",  # noqa: S608
            ids,
        )
        return {row[0]: datetime.fromisoformat(row[1]) for row in rows}

    async def reopen_rounds(self, ids: list[int], opened: datetime, closes: datetime) -> None:
        marks = ", ".join("?" * len(ids))
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE gate_round SET opened_at = ?, closes_at = ?, extended = 0 "  # noqa: S608
                f"WHERE status = 'open' AND id IN ({marks})",
                [opened, closes, *ids],
            )

    async def optimize(self) -> None:
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA optimize")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class PostgresStore:
    """asyncpg on one connection: COPY for every table, all in one transaction."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._db: Any = None

    async def db(self) -> Any:
        if self._db is None:
            try:
                self._db = await asyncpg.connect(self.dsn)
            except asyncpg.InvalidCatalogNameError as error:
                raise SeedError(f"{error}: create it first (createdb)") from error
        return self._db

    async def existing(self) -> Existing:
        db = await self.db()
        has_people = await db.fetchval("SELECT to_regclass('person') IS NOT NULL") and bool(
            await db.fetchval("SELECT EXISTS (SELECT 1 FROM person)")
        )
        row = None
        if await db.fetchval(f"SELECT to_regclass('{MARKER}') IS NOT NULL"):
            row = await db.fetchrow(f"SELECT * FROM {MARKER}")  # noqa: S608
        return Existing(bool(has_people), None if row is None else Marker.from_row(row))

    async def wipe(self) -> None:
        db = await self.db()
        await db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    async def write_marker(self, marker: Marker) -> None:
        db = await self.db()
        await db.execute(MARKER_TABLE_SQL)
        async with db.transaction():
            await db.execute(f"DELETE FROM {MARKER}")  # noqa: S608
            await db.execute(
                f"INSERT INTO {MARKER} (size, migrations, summary) VALUES ($1, $2, $3)",  # noqa: S608
                *marker.as_row(),
            )

    async def load(self, data: DataSet) -> None:
        db = await self.db()
        names = [table.name for table in data.tables] + ["idea_search"]
        async with db.transaction():
            await db.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Checking foreign keys and growing indexes row by row costs most of a COPY:
            # drop both and restore them from PostgreSQL's own definitions after the load.
            indexes = await db.fetch(
                "SELECT index.relname AS name, pg_get_indexdef(i.indexrelid) AS definition "
                "FROM pg_index i JOIN pg_class index ON index.oid = i.indexrelid "
                "WHERE i.indrelid = ANY($1::regclass[]) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                names,
            )
            foreign_keys = await db.fetch(
                "SELECT conrelid::regclass::text AS table, conname AS name, "
                "pg_get_constraintdef(oid) AS definition FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY($1::regclass[])",
                names,
            )
            for key in foreign_keys:
                await db.execute(f'ALTER TABLE {key["table"]} DROP CONSTRAINT "{key["name"]}"')
            for index in indexes:
                await db.execute(f'DROP INDEX "{index["name"]}"')
            for table in data.tables:
                await self._copy(db, table.name, table.columns, table.rows)
            # The same document search.index_idea writes, built by the database in one go.
            await db.execute(
                "CREATE TEMPORARY TABLE seed_search (idea_id integer, title text, "
                "summary text, body text) ON COMMIT DROP"
            )
            await self._copy(
                db, "seed_search", ("idea_id", "title", "summary", "body"), data.search
            )
            progress = Progress("idea_search", len(data.search))
            await db.execute(
                "INSERT INTO idea_search (idea_id, document) SELECT idea_id, "
                "setweight(to_tsvector('simple', title), 'A') || "
                "setweight(to_tsvector('simple', summary), 'B') || "
                "setweight(to_tsvector('simple', body), 'C') FROM seed_search"
            )
            progress.advance(len(data.search))
            progress.finish()
            progress = Progress("constraints", len(indexes) + len(foreign_keys))
            for index in indexes:
                await db.execute(index["definition"])
                progress.advance(1)
            for key in foreign_keys:
                await db.execute(
                    f'ALTER TABLE {key["table"]} ADD CONSTRAINT "{key["name"]}" {key["definition"]}'
                )
                progress.advance(1)
            progress.finish()
            for table in data.tables:  # ids were given explicitly: move the sequences on
                await db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"max(id)) FROM {table.name} HAVING max(id) IS NOT NULL"
                )

    @staticmethod
    async def _copy(
        db: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        progress = Progress(table, len(rows))
        for chunk in batches(rows):
            await db.copy_records_to_table(table, records=chunk, columns=list(columns))
            progress.advance(len(chunk))
        progress.finish()

    async def column(self, sql: str) -> list[Any]:
        db = await self.db()
        return [row[0] for row in await db.fetch(sql)]

    async def open_rounds(self, ids: list[int]) -> dict[int, datetime]:
        db = await self.db()
        rows = await db.fetch(
            "SELECT id, closes_at FROM gate_round WHERE status = 'open' AND id = ANY($1)", ids
        )
        return {row["id"]: row["closes_at"] for row in rows}

    async def reopen_rounds(self, ids: list[int], opened: datetime, closes: datetime) -> None:
        db = await self.db()
        await db.execute(
            "UPDATE gate_round SET opened_at = $1, closes_at = $2, extended = false "
            "WHERE status = 'open' AND id = ANY($3)",
            opened,
            closes,
            ids,
        )

    async def optimize(self) -> None:
        db = await self.db()
        await db.execute("VACUUM ANALYZE")

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None


def store_for(db: Engine[Any]) -> Store:
    """A store on the database the app's own engine points at (same URL rules)."""
    if isinstance(db, SQLiteEngine):
        return SQLiteStore(db.path)
    assert isinstance(db, PostgresEngine)
    return PostgresStore(db.config["dsn"])


# ---------------------------------------------------------------------------------------
# Seeding, or reusing what is there
# ---------------------------------------------------------------------------------------


async def seed(size: Size, *, force: bool) -> dict[str, Any]:
    started = time.perf_counter()
    store = store_for(engine())
    try:
        existing = await store.existing()
        if existing.marker is None and existing.has_people:
            raise SeedError(
                "this database holds data that is not a bench data set: refusing to touch it "
                "(give a fresh database)"
            )
        if existing.marker is not None:
            if not force:
                summary = await reuse(store, existing.marker, size)
                return {**summary, "reused": True, "seconds": elapsed(started)}
            say("--force: removing the previous bench data set")
            await store.wipe()
        summary = await fill(store, size)
        return {**summary, "reused": False, "seconds": elapsed(started)}
    finally:
        await store.close()


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 1)


async def reuse(store: Store, marker: Marker, size: Size) -> dict[str, Any]:
    """The data set already here, if it is complete, of this size and on today's schema;
    its benchmark rounds are given a fresh deadline if theirs is near."""
    if marker.summary is None:
        raise SeedError("an earlier seed did not finish: run again with --force")
    if marker.size != asdict(size):
        raise SeedError(f"this database holds another data set ({marker.size}): use --force")
    await migrate()
    if await store.column(APPLIED_MIGRATIONS_SQL) != marker.migrations:
        raise SeedError("the schema changed since this data set was seeded: use --force")
    round_ids: list[int] = marker.summary["gate_round_ids"]
    now = datetime.now(UTC)
    deadlines = await store.open_rounds(round_ids)
    if not deadlines:
        raise SeedError("none of the bench user's gate rounds is open any more: use --force")
    if min(deadlines.values()) - now < timedelta(days=2):
        await store.reopen_rounds(
            list(deadlines), now - timedelta(hours=1), now + timedelta(days=6)
        )
    say(f"reusing the data set already in the database ({marker.size})")
    open_ids = sorted(deadlines)
    return {**marker.summary, "gate_round_id": open_ids[0], "gate_round_ids": open_ids}


async def fill(store: Store, size: Size) -> dict[str, Any]:
    say("migrating")
    await migrate()
    pipeline_id = await ensure_default_pipeline()
    stages = [row["key"] for row in await stages_of(pipeline_id)]
    gates = [gate for key in stages[:-1] if (gate := await next_gate(pipeline_id, key))]
    migrations = await store.column(APPLIED_MIGRATIONS_SQL)
    await store.write_marker(Marker(asdict(size), migrations, None))
    password_hash = await hash_password(PASSWORD)  # once: argon2 takes ~0.2 s a hash
    started = time.perf_counter()
    builder = CompanyBuilder(
        size, stages=stages, gates=gates, password_hash=password_hash, now=time.time()
    )
    data = builder.build()
    rows = sum(len(table.rows) for table in data.tables)
    say(f"generated {rows:,} rows in {elapsed(started)} s; loading")
    await store.load(data)
    await check_counters(store, data)
    summary = {
        "database": "sqlite" if isinstance(store, SQLiteStore) else "postgresql",
        **asdict(size),
        "gate_round_id": data.bench_round_ids[0],
        "gate_round_ids": data.bench_round_ids,
        "idea_id": data.hot_idea_id,
        "search_term": data.search_term,
        "email": BENCH_EMAIL,
        "password": PASSWORD,
        "login_email": LOGIN_EMAIL.replace("{}", "{n}"),
        "login_accounts": LOGIN_ACCOUNTS,
        "gate_rounds": len(next(t for t in data.tables if t.name == "gate_round").rows),
    }
    await store.write_marker(Marker(asdict(size), migrations, summary))
    say("analyzing")
    await store.optimize()
    return summary


async def check_counters(store: Store, data: DataSet) -> None:
    """Every denormalised counter equals the rows it counts, and every table got its rows."""
    wrong = {
        name: count
        for name, sql in COUNTER_CHECKS.items()
        if (count := (await store.column(sql))[0])
    }
    for table in data.tables:
        stored = (await store.column(f"SELECT count(*) FROM {table.name}"))[0]  # noqa: S608
        if stored != len(table.rows):
            wrong[table.name] = stored - len(table.rows)
    if wrong:
        raise SeedError(f"the data set came out inconsistent: {wrong}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=(
            "A database that already holds a complete data set of the requested size (and "
            "schema) is reused as it is: the script says 'reusing' and exits at once. "
            "--force reseeds a bench data set: it deletes the SQLite file, or drops and "
            "recreates PostgreSQL's public schema. A database holding anything else is "
            "never touched. The bench user bench@bench.example and login0…login199"
            "@bench.example sign in with the password incubator-bench (hashed with the "
            "INCUBATOR_ARGON2_* settings in force: give the server the same ones)."
        ),
    )
    parser.add_argument(
        "--database-url",
        required=True,
        help="sqlite:///relative.db, sqlite:////absolute.db or postgresql://user@host:port/db",
    )
    parser.add_argument("--people", type=int, default=5_000, help="default: %(default)s")
    parser.add_argument("--ideas", type=int, default=100_000, help="default: %(default)s")
    parser.add_argument(
        "--votes", type=int, default=500_000, help="supports, 'I want this' (%(default)s)"
    )
    parser.add_argument("--comments", type=int, default=200_000, help="default: %(default)s")
    parser.add_argument("--force", action="store_true", help="reseed a bench data set")
    args = parser.parse_args(argv)
    if args.people < MIN_PEOPLE or args.ideas < MIN_IDEAS:
        parser.error(f"seed at least {MIN_PEOPLE} people and {MIN_IDEAS} ideas")
    if not 0 <= args.votes <= args.people * args.ideas // 10 or args.comments < 0:
        parser.error("--votes must be 0…people×ideas/10 and --comments at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    # Nothing here is signed: a placeholder keeps settings from writing a secret to disk.
    os.environ.setdefault("SECRET_KEY", "bench-seed-" + "x" * 32)
    size = Size(args.people, args.ideas, args.votes, args.comments)
    try:
        get_settings()
        summary = asyncio.run(seed(size, force=args.force))
    except (SettingsError, SeedError) as error:
        say(f"seed: {error}")
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
