from enum import StrEnum

from piccolo.columns import (
    Date,
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


class ChallengeStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class ChallengeSource(StrEnum):
    CUSTOMER = "customer"
    INTERNAL = "internal"
    STRATEGIC = "strategic"


class Challenge(Table):
    id = Serial(primary_key=True)
    title = Varchar(length=120)
    problem = Text()
    author = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    sponsor = ForeignKey(Person, null=True, on_delete=OnDelete.set_null, default=None)
    source = Varchar(length=20, default=ChallengeSource.INTERNAL.value, index=True)
    status = Varchar(length=20, default=ChallengeStatus.OPEN.value, index=True)
    closes_on = Date(null=True, default=None)
    # The pipeline its ideas go through (gates.Pipeline; none: the default pipeline). A
    # plain id: challenges sit below gates and do not import them.
    pipeline_id = Integer(null=True, default=None)
    # Kept in the row (updated with each idea) so lists need no count per challenge.
    idea_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ChallengeTag(Table):
    id = Serial(primary_key=True)
    challenge = ForeignKey(Challenge, null=False, on_delete=OnDelete.cascade, index=True)
    tag = Varchar(length=40, index=True)
