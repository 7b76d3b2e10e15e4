from enum import StrEnum

from piccolo.columns import (
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from incubator.accounts.tables import Person
from incubator.challenges.tables import Challenge
from incubator.discussion.counters import count_comments_in


class IdeaStatus(StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    KILLED = "killed"
    GRADUATED = "graduated"


class Idea(Table):
    id = Serial(primary_key=True)
    title = Varchar(length=120)
    summary = Varchar(length=280)
    description = Text(default="")
    challenge = ForeignKey(Challenge, null=True, on_delete=OnDelete.set_null, index=True)
    author = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=20, default=IdeaStatus.ACTIVE.value, index=True)
    stage = Varchar(length=40, default="spark", index=True)
    stage_entered_at = Timestamptz(default=TimestamptzNow())
    # A blind idea hides its author and team until it passes its first gate.
    blind = Boolean(default=False)
    revealed_at = Timestamptz(null=True, default=None)
    # The tags in the order given, kept with the IdeaTag rows (which the tag filter
    # searches) in the same transaction, so that a card shows them without a lookup.
    tags = Array(Varchar(length=40), default=list)
    # Kept in the row, updated in the same transaction as the supports it counts.
    # Ordered by the (support_count, id) index of a migration, which covers this column.
    support_count = Integer(default=0)
    # Live (not deleted) comments, kept by the discussion services in their transactions.
    comment_count = Integer(default=0)
    merged_into: ForeignKey["Idea"] = ForeignKey(
        "self", null=True, on_delete=OnDelete.set_null, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class IdeaTag(Table):
    id = Serial(primary_key=True)
    idea = ForeignKey(Idea, null=False, on_delete=OnDelete.cascade, index=True)
    tag = Varchar(length=40, index=True)


class Support(Table):
    """One "I want this" per person and idea (unique in the database)."""

    id = Serial(primary_key=True)
    # Looked up through the unique index on (person, idea), which a migration makes.
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade)
    idea = ForeignKey(Idea, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class TeamRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class TeamMember(Table):
    """A person on an idea's team. The author is the first member and its owner; when the
    owner leaves, ownership passes to the longest-standing member."""

    id = Serial(primary_key=True)
    idea = ForeignKey(Idea, null=False, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=20, default=TeamRole.MEMBER.value)
    joined_at = Timestamptz(default=TimestamptzNow())


count_comments_in("idea", Idea)
