from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from incubator.accounts.tables import Person
from incubator.ideas.tables import Idea


class RoleWanted(Table):
    """A skill the team is looking for (matched against people's skills)."""

    id = Serial(primary_key=True)
    idea = ForeignKey(Idea, null=False, on_delete=OnDelete.cascade, index=True)
    skill = Varchar(length=40, index=True)
    description = Varchar(length=280, default="")
    filled = Boolean(default=False, index=True)
    filled_by = ForeignKey(Person, null=True, on_delete=OnDelete.set_null, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class JoinStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class JoinRequest(Table):
    """At most one pending request per person and idea (a partial unique index)."""

    id = Serial(primary_key=True)
    idea = ForeignKey(Idea, null=False, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    role_wanted = ForeignKey(RoleWanted, null=True, on_delete=OnDelete.set_null, default=None)
    message = Text(default="")
    status = Varchar(length=20, default=JoinStatus.PENDING.value, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(Person, null=True, on_delete=OnDelete.set_null, default=None)
