from piccolo.columns import (
    M2M,
    Array,
    Boolean,
    ForeignKey,
    LazyTableReference,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Department(Table):
    id = Serial(primary_key=True)
    name = Varchar(length=80, unique=True)


class Skill(Table):
    """A tag for what someone can do; `name` is stored lower-case so tags don't fork."""

    id = Serial(primary_key=True)
    name = Varchar(length=60, unique=True)


class Person(Table):
    id = Serial(primary_key=True)
    # Stored lower-cased; a unique index on lower(email) guards it in the database too.
    email = Varchar(length=254)
    name = Varchar(length=120)
    password_hash = Varchar(length=255)
    department = ForeignKey(Department, null=True, on_delete=OnDelete.set_null, index=True)
    bio = Text(default="")
    # Shown on the profile only: never an input to a decision, never on a voting screen.
    job_title = Varchar(length=120, default="")
    locale = Varchar(length=5, default="en")
    roles = Array(Varchar(length=20), default=list)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    skills = M2M(LazyTableReference("PersonSkill", module_path=__name__))


class PersonSkill(Table):
    id = Serial(primary_key=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    skill = ForeignKey(Skill, null=False, on_delete=OnDelete.cascade, index=True)


class ApiToken(Table):
    """A personal token for scripts. Only its SHA-256 is stored (tokens are random, so a
    fast hash is enough); the token itself is shown once, at creation."""

    id = Serial(primary_key=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=80)
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
