"""Account rules: registering, signing in, profiles and roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.columns import Column

from incubator.accounts import passwords
from incubator.accounts.identity import Actor
from incubator.accounts.policies import can_set_roles
from incubator.accounts.roles import ALL_ROLES, Role
from incubator.accounts.tables import Department, Person, PersonSkill, Skill
from incubator.db.audit import record_event
from incubator.db.transactions import is_sqlite, is_unique_violation, transaction
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.i18n import SUPPORTED_LOCALES
from incubator.i18n import gettext as _
from incubator.tags import TAG_MAX_LENGTH, parse_tags
from incubator.web.identities import identities_changed

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 120
BIO_MAX = 2000
DEPARTMENT_MAX = 80
SKILL_MAX = TAG_MAX_LENGTH
SKILLS_PER_PERSON = 20


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str, errors: dict[str, str]) -> None:
    if not email:
        errors["email"] = _("Enter your work email address.")
    elif len(email) > 254 or not EMAIL_PATTERN.match(email):
        errors["email"] = _("Enter an email address like name@company.com.")


def _check_name(name: str, errors: dict[str, str]) -> None:
    if not name:
        errors["name"] = _("Enter your name as colleagues know it.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Keep your name under %(max)s characters.", max=NAME_MAX)


def _check_department(department: str, errors: dict[str, str]) -> None:
    if not department:
        errors["department"] = _("Say which department you work in.")
    elif len(department) > DEPARTMENT_MAX:
        errors["department"] = _(
            "Keep the department under %(max)s characters.", max=DEPARTMENT_MAX
        )


def _check_password(password: str, email: str, errors: dict[str, str]) -> None:
    if len(password) < passwords.MIN_LENGTH:
        errors["password"] = _(
            "Choose a password of at least %(min)s characters.", min=passwords.MIN_LENGTH
        )
    elif len(password) > passwords.MAX_LENGTH:
        errors["password"] = _(
            "Choose a password of at most %(max)s characters.", max=passwords.MAX_LENGTH
        )
    elif password.strip().lower() == email:
        errors["password"] = _("Choose a password that is not your email address.")


def _email_taken_error() -> ValidationFailed:
    return ValidationFailed(
        {"email": _("An account already uses this email address. Log in instead.")}
    )


async def _department_id(name: str) -> int:
    """The department with this name (any case), created on first use."""
    wanted = " ".join(name.split())
    for row in await Department.select(Department.id, Department.name).run():
        if row["name"].casefold() == wanted.casefold():
            return int(row["id"])
    await Department.insert(Department(name=wanted)).on_conflict(action="DO NOTHING").run()
    created = await Department.select(Department.id).where(Department.name == wanted).first().run()
    assert created is not None
    return int(created["id"])


async def _set_skills(person_id: int, skills: Sequence[str]) -> None:
    await PersonSkill.delete().where(PersonSkill.person == person_id).run()
    if not skills:
        return
    await Skill.insert(*(Skill(name=s) for s in skills)).on_conflict(action="DO NOTHING").run()
    rows = await Skill.select(Skill.id).where(Skill.name.is_in(list(skills))).run()
    await PersonSkill.insert(*(PersonSkill(person=person_id, skill=r["id"]) for r in rows)).run()


async def _serialize_first_account() -> None:
    """Make "is this the first account?" race-free: SQLite's IMMEDIATE transaction already
    serialises writers; PostgreSQL needs a transaction-scoped lock."""
    if not is_sqlite():
        await Person.raw("SELECT pg_advisory_xact_lock(7301)").run()


async def register(
    *, email: str, name: str, password: str, department: str, locale: str = "en"
) -> Person:
    """Create an account. The very first account gets every role, so a fresh install can be
    administered; later ones are members until an admin says otherwise."""
    email, name, department = normalize_email(email), name.strip(), department.strip()
    errors: dict[str, str] = {}
    _check_email(email, errors)
    _check_name(name, errors)
    _check_department(department, errors)
    _check_password(password, email, errors)
    if errors:
        raise ValidationFailed(errors)
    if await Person.exists().where(Person.email == email).run():
        raise _email_taken_error()
    password_hash = await passwords.hash_password(password)
    try:
        async with transaction():
            await _serialize_first_account()
            is_first = not await Person.exists().run()
            person = Person(
                email=email,
                name=name,
                password_hash=password_hash,
                department=await _department_id(department),
                locale=locale if locale in SUPPORTED_LOCALES else "en",
                roles=sorted(role.value for role in ALL_ROLES) if is_first else [],
            )
            await person.save().run()
            await record_event(
                actor_id=person.id,
                action="person.registered",
                subject_type="person",
                subject_id=person.id,
            )
            if is_first:
                await record_event(
                    actor_id=None,
                    action="person.roles_changed",
                    subject_type="person",
                    subject_id=person.id,
                    data={"before": [], "after": list(person.roles), "reason": "first account"},
                )
    except Exception as error:
        if is_unique_violation(error):
            raise _email_taken_error() from error
        raise
    return person


async def authenticate(*, email: str, password: str) -> Person | None:
    """The active person with these credentials, or None. Unknown emails take as long as
    wrong passwords, so the answer's timing says nothing about who has an account."""
    person = await Person.objects().where(Person.email == normalize_email(email)).first().run()
    if person is None or not person.is_active:
        await passwords.verify_password(None, password)
        return None
    if not await passwords.verify_password(person.password_hash, password):
        return None
    values: dict[Column | str, Any] = {Person.last_login_at: datetime.now(UTC)}
    if passwords.needs_rehash(person.password_hash):
        values[Person.password_hash] = await passwords.hash_password(password)
    await Person.update(values).where(Person.id == person.id).run()
    return person


async def load_actor(person_id: int) -> Actor | None:
    row = await (
        Person.select(
            Person.id, Person.name, Person.email, Person.locale, Person.roles, Person.department
        )
        .where((Person.id == person_id) & (Person.is_active == True))  # noqa: E712
        .first()
        .run()
    )
    if row is None:
        return None
    return Actor(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        locale=row["locale"],
        roles=frozenset(row["roles"] or ()),
        department_id=row["department"],
    )


@dataclass(frozen=True)
class ProfileChange:
    name: str
    department: str
    skills: str
    bio: str
    locale: str


async def update_profile(actor: Actor, change: ProfileChange) -> None:
    name, department, bio = change.name.strip(), change.department.strip(), change.bio.strip()
    skills = parse_tags(change.skills)
    errors: dict[str, str] = {}
    _check_name(name, errors)
    _check_department(department, errors)
    if len(skills) > SKILLS_PER_PERSON:
        errors["skills"] = _("List at most %(max)s skills.", max=SKILLS_PER_PERSON)
    elif any(len(skill) > SKILL_MAX for skill in skills):
        errors["skills"] = _("Keep each skill under %(max)s characters.", max=SKILL_MAX)
    if len(bio) > BIO_MAX:
        errors["bio"] = _("Keep your bio under %(max)s characters.", max=BIO_MAX)
    if change.locale not in SUPPORTED_LOCALES:
        errors["locale"] = _("Choose English or French.")
    if errors:
        raise ValidationFailed(errors)
    async with transaction():
        await (
            Person.update(
                {
                    Person.name: name,
                    Person.department: await _department_id(department),
                    Person.bio: bio,
                    Person.locale: change.locale,
                }
            )
            .where(Person.id == actor.id)
            .run()
        )
        await _set_skills(actor.id, skills)
        await identities_changed(actor.id)


async def set_locale(person_id: int, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise ValidationFailed({"locale": _("Choose English or French.")})
    await Person.update({Person.locale: locale}).where(Person.id == person_id).run()
    await identities_changed(person_id)


async def set_roles(actor: Actor, person_id: int, roles: Iterable[str]) -> list[str]:
    """Give a person exactly these roles. Admins only; the last admin cannot be demoted."""
    if not can_set_roles(actor):
        raise NotAllowed(_("Only an administrator can change roles."))
    wanted = sorted(set(roles))
    known = {role.value for role in ALL_ROLES}
    if unknown := [role for role in wanted if role not in known]:
        raise ValidationFailed({"roles": _("Unknown role: %(role)s.", role=unknown[0])})
    async with transaction():
        row = await Person.select(Person.roles).where(Person.id == person_id).first().run()
        if row is None:
            raise NotFound(_("No such person."))
        before = sorted(row["roles"] or [])
        if Role.ADMIN.value in before and Role.ADMIN.value not in wanted:
            admins = (
                await Person.count()
                .where(
                    Person.roles.any(Role.ADMIN.value) & (Person.is_active == True)  # noqa: E712
                )
                .run()
            )
            if admins <= 1:
                raise ValidationFailed(
                    {
                        "roles": _(
                            "Keep at least one administrator: give the role to someone else first."
                        )
                    }
                )
        if before != wanted:
            await Person.update({Person.roles: wanted}).where(Person.id == person_id).run()
            await record_event(
                actor_id=actor.id,
                action="person.roles_changed",
                subject_type="person",
                subject_id=person_id,
                data={"before": before, "after": wanted},
            )
            await identities_changed(person_id)
    return wanted


async def create_admin(*, email: str, password: str, name: str) -> Person:
    """An account with every role (CLI `createadmin`). An existing account is promoted and
    its password reset, so the command also recovers a locked-out administrator."""
    email = normalize_email(email)
    existing = await Person.objects().where(Person.email == email).first().run()
    if existing is None:
        person = await register(email=email, name=name, password=password, department="IT")
    else:
        person = existing
        errors: dict[str, str] = {}
        _check_password(password, email, errors)
        if errors:
            raise ValidationFailed(errors)
        await (
            Person.update(
                {
                    Person.password_hash: await passwords.hash_password(password),
                    Person.is_active: True,
                }
            )
            .where(Person.id == person.id)
            .run()
        )
    everything = sorted(role.value for role in ALL_ROLES)
    before = sorted(person.roles or [])
    if before != everything:
        async with transaction():
            await Person.update({Person.roles: everything}).where(Person.id == person.id).run()
            await record_event(
                actor_id=None,
                action="person.roles_changed",
                subject_type="person",
                subject_id=person.id,
                data={"before": before, "after": everything, "reason": "createadmin"},
            )
            await identities_changed(person.id)
        person.roles = everything
    return person
