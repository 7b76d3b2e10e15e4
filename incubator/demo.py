"""A small bilingual demo company, seeded through the same services people use."""

from __future__ import annotations

from dataclasses import dataclass

from incubator.accounts import services as accounts
from incubator.accounts.roles import Role
from incubator.accounts.tables import Person

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


async def seed_demo() -> list[tuple[str, str, str]]:
    """Seed everything; returns (email, name, roles) for the printed list of logins."""
    await seed_people()
    return [
        (demo.email, demo.name, ", ".join(role.value for role in demo.roles) or "member")
        for demo in PEOPLE
    ]
