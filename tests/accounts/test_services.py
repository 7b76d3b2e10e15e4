"""Account rules, exercised through the services on the real database."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from argon2 import PasswordHasher
from asyncpg.exceptions import UniqueViolationError
from litestar.stores.memory import MemoryStore

from incubator.accounts import passwords, services
from incubator.accounts.tables import Department, Person, PersonSkill, Skill
from incubator.accounts.throttle import LoginThrottle
from incubator.db.tables import AuditEvent
from incubator.db.transactions import is_unique_violation
from incubator.errors import Busy, NotAllowed, TooManyAttempts, ValidationFailed
from incubator.settings import get_settings
from tests.conftest import PASSWORD, Persona, Run


def register(run: Run, email: str = "ada@x.io", **overrides: str) -> Person:
    fields = {"name": "Ada", "password": PASSWORD, "department": "Marketing", **overrides}
    person: Person = run(services.register(email=email, **fields))
    return person


def test_register_stores_an_argon2id_hash_and_a_normalised_email(run: Run) -> None:
    person = register(run, "  Ada@X.io ")
    row = run(Person.select().where(Person.id == person.id).first().run())
    assert row["email"] == "ada@x.io"
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


def test_first_account_gets_every_role_and_later_ones_none(run: Run) -> None:
    first = register(run, "first@x.io")
    second = register(run, "second@x.io")
    assert sorted(first.roles) == ["admin", "leadership", "steward"]
    assert second.roles == []
    events = run(AuditEvent.select().where(AuditEvent.action == "person.roles_changed").run())
    assert [event["subject_id"] for event in events] == [first.id]


def test_email_is_unique_whatever_its_case(run: Run) -> None:
    register(run, "ada@x.io")
    with pytest.raises(ValidationFailed) as refused:
        register(run, "Ada@X.io")
    assert "email" in refused.value.errors
    assert run(Person.count().run()) == 1


def test_the_database_itself_refuses_an_email_differing_only_by_case(run: Run) -> None:
    register(run, "ada@x.io")
    duplicate = Person(email="ADA@x.io", name="Copy", password_hash="x")
    with pytest.raises((sqlite3.IntegrityError, UniqueViolationError)) as raised:
        run(duplicate.save().run())
    assert is_unique_violation(raised.value)


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("email", {"email": "not-an-email"}),
        ("email", {"email": ""}),
        ("name", {"name": ""}),
        ("name", {"name": "n" * 121}),
        ("department", {"department": ""}),
        ("password", {"password": "short"}),
        ("password", {"password": "ada@x.io"}),
    ],
)
def test_invalid_registration_names_the_field_and_saves_nothing(
    run: Run, field: str, overrides: dict[str, str]
) -> None:
    email = overrides.pop("email", "ada@x.io")
    with pytest.raises(ValidationFailed) as refused:
        register(run, email, **overrides)
    assert field in refused.value.errors
    assert run(Person.count().run()) == 0
    assert run(Department.count().run()) == 0


def test_departments_are_matched_whatever_their_case(run: Run) -> None:
    register(run, "a@x.io", department="Service client")
    register(run, "b@x.io", department="service CLIENT")
    assert run(Department.select(Department.name).run()) == [{"name": "Service client"}]


def test_authenticate_accepts_the_right_password_only(run: Run) -> None:
    register(run, "ada@x.io")
    assert run(services.authenticate(email="ADA@x.io", password=PASSWORD)) is not None
    assert run(services.authenticate(email="ada@x.io", password="wrong password")) is None
    assert run(services.authenticate(email="nobody@x.io", password=PASSWORD)) is None


def test_authenticate_refuses_an_inactive_account(run: Run) -> None:
    person = register(run, "ada@x.io")
    run(Person.update({Person.is_active: False}).where(Person.id == person.id).run())
    assert run(services.authenticate(email="ada@x.io", password=PASSWORD)) is None


def test_login_rehashes_a_password_hashed_with_old_parameters(run: Run) -> None:
    person = register(run, "ada@x.io")
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    run(Person.update({Person.password_hash: old_hash}).where(Person.id == person.id).run())
    assert run(services.authenticate(email="ada@x.io", password=PASSWORD)) is not None
    new_hash = run(Person.select(Person.password_hash).first().run())["password_hash"]
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert run(services.authenticate(email="ada@x.io", password=PASSWORD)) is not None


def test_profile_update_cleans_and_replaces_skills(run: Run, personas: dict[str, Persona]) -> None:
    ada = run(services.load_actor(personas["ada"].id))
    change = services.ProfileChange(
        name="Ada A.",
        department="R&D",
        skills="Python, data ,python,  UX  design,",
        bio="Hello",
        locale="fr",
    )
    run(services.update_profile(ada, change))
    profile = run(
        Person.select(Person.name, Person.locale).where(Person.id == ada.id).first().run()
    )
    assert profile == {"name": "Ada A.", "locale": "fr"}
    skills = run(
        Person.select(Person.skills(Skill.name, as_list=True))
        .where(Person.id == ada.id)
        .first()
        .run()
    )
    assert sorted(skills["skills"]) == ["data", "python", "ux design"]
    run(services.update_profile(ada, services.ProfileChange("Ada", "R&D", "data", "", "en")))
    assert run(PersonSkill.count().where(PersonSkill.person == ada.id).run()) == 1


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("name", services.ProfileChange("", "IT", "", "", "en")),
        (
            "skills",
            services.ProfileChange("Ada", "IT", ",".join(f"s{i}" for i in range(21)), "", "en"),
        ),
        ("skills", services.ProfileChange("Ada", "IT", "x" * 41, "", "en")),
        ("bio", services.ProfileChange("Ada", "IT", "", "b" * 2001, "en")),
        ("locale", services.ProfileChange("Ada", "IT", "", "", "de")),
    ],
)
def test_invalid_profile_changes_nothing(
    run: Run, personas: dict[str, Persona], field: str, change: services.ProfileChange
) -> None:
    ada = run(services.load_actor(personas["ada"].id))
    with pytest.raises(ValidationFailed) as refused:
        run(services.update_profile(ada, change))
    assert field in refused.value.errors
    row = run(Person.select(Person.name, Person.bio).where(Person.id == ada.id).first().run())
    assert row == {"name": "Ada Author", "bio": ""}


def test_only_an_admin_sets_roles_and_it_is_audited(run: Run, personas: dict[str, Persona]) -> None:
    ada = run(services.load_actor(personas["ada"].id))
    with pytest.raises(NotAllowed):
        run(services.set_roles(ada, personas["bob"].id, ["steward"]))
    ida = run(services.load_actor(personas["ida"].id))
    assert run(services.set_roles(ida, personas["bob"].id, ["steward", "leadership"])) == [
        "leadership",
        "steward",
    ]
    event = run(
        AuditEvent.select()
        .where(
            (AuditEvent.action == "person.roles_changed")
            & (AuditEvent.subject_id == personas["bob"].id)
        )
        .first()
        .run()
    )
    assert event["actor_id"] == ida.id
    assert event["data"] in (
        {"before": [], "after": ["leadership", "steward"]},
        '{"before": [], "after": ["leadership", "steward"]}',
    )


def test_unknown_roles_are_refused(run: Run, personas: dict[str, Persona]) -> None:
    ida = run(services.load_actor(personas["ida"].id))
    with pytest.raises(ValidationFailed):
        run(services.set_roles(ida, personas["bob"].id, ["king"]))


def test_the_last_admin_cannot_be_demoted(run: Run, personas: dict[str, Persona]) -> None:
    ida = run(services.load_actor(personas["ida"].id))
    with pytest.raises(ValidationFailed):
        run(services.set_roles(ida, ida.id, ["steward"]))
    run(services.set_roles(ida, personas["bob"].id, ["admin"]))
    assert run(services.set_roles(ida, ida.id, ["steward"])) == ["steward"]


def test_create_admin_promotes_and_resets_an_existing_account(run: Run) -> None:
    register(run, "first@x.io")
    register(run, "ops@x.io")
    person = run(services.create_admin(email="OPS@x.io", password="a new password", name="Ops"))
    assert sorted(person.roles) == ["admin", "leadership", "steward"]
    assert run(services.authenticate(email="ops@x.io", password="a new password")) is not None


async def _throttle_run(throttle: LoginThrottle) -> list[str]:
    outcomes = []
    for _attempt in range(6):
        try:
            await throttle.check("ada@x.io", "10.0.0.1")
        except TooManyAttempts:
            outcomes.append("refused")
            continue
        await throttle.failed("ada@x.io", "10.0.0.1")
        outcomes.append("failed")
    await throttle.check("ada@x.io", "10.0.0.2")  # another address is not locked out
    await throttle.check("bob@x.io", "10.0.0.1")  # nor another account
    return outcomes


def test_login_throttle_counts_failures_per_email_and_address(run: Run) -> None:
    throttle = LoginThrottle(MemoryStore(), limit=5, window_seconds=900)
    assert run(_throttle_run(throttle)) == ["failed"] * 5 + ["refused"]


def test_a_successful_login_resets_the_throttle(run: Run) -> None:
    throttle = LoginThrottle(MemoryStore(), limit=2, window_seconds=900)

    async def scenario() -> None:
        await throttle.failed("ada@x.io", "a")
        await throttle.succeeded("ada@x.io", "a")
        await throttle.failed("ada@x.io", "a")
        await throttle.check("ada@x.io", "a")

    run(scenario())


def test_hashing_is_capped_and_an_overflowing_sign_in_is_asked_to_retry(run: Run) -> None:
    """One hash at a time per CPU pair, a short queue, then `Busy`: a storm of sign-ins
    cannot take every core from the pages."""
    settings = get_settings()
    release = threading.Event()
    running = threading.Semaphore(0)

    def slow_hash() -> str:
        running.release()
        release.wait(10)
        return "hashed"

    async def storm() -> tuple[list[str], int]:
        admitted = settings.argon2_concurrency + settings.argon2_queue
        tasks = [asyncio.create_task(passwords.run_capped(slow_hash)) for _ in range(admitted)]
        await asyncio.to_thread(running.acquire, True, 10)  # one hash holds the cap
        assert passwords.hashing_waiters() == settings.argon2_queue
        with pytest.raises(Busy) as refused:
            await passwords.run_capped(slow_hash)
        release.set()
        return list(await asyncio.gather(*tasks)), refused.value.retry_after_seconds

    results, retry_after = run(storm())
    assert results == ["hashed"] * (settings.argon2_concurrency + settings.argon2_queue)
    assert retry_after > 0
