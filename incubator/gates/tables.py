from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    Float,
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
from incubator.ideas.tables import Idea


class Pipeline(Table):
    id = Serial(primary_key=True)
    name = Varchar(length=80)
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Stage(Table):
    """A stage of a pipeline; ideas refer to it by `key`, stable within its pipeline."""

    id = Serial(primary_key=True)
    pipeline = ForeignKey(Pipeline, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    key = Varchar(length=40)
    name_en = Varchar(length=60)
    name_fr = Varchar(length=60)
    unlocks_en = Varchar(length=280, default="")
    unlocks_fr = Varchar(length=280, default="")


class Gate(Table):
    """The gate that leads out of the stage at `from_position` into the next one."""

    id = Serial(primary_key=True)
    pipeline = ForeignKey(Pipeline, null=False, on_delete=OnDelete.cascade, index=True)
    from_position = Integer()
    quorum = Integer(default=3)
    threshold = Float(default=0.6)
    window_days = Integer(default=7)
    early_close = Boolean(default=True)
    require_cross_functional = Boolean(default=False)


class Criterion(Table):
    id = Serial(primary_key=True)
    gate = ForeignKey(Gate, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    key = Varchar(length=40)
    name_en = Varchar(length=80)
    name_fr = Varchar(length=80)
    weight = Float(default=1.0)


class RoundStatus(StrEnum):
    OPEN = "open"
    PASSED = "passed"
    RECYCLED = "recycled"
    KILLED = "killed"
    NO_QUORUM = "no_quorum"


class GateRound(Table):
    """One submission of an idea to a gate. The gate's settings, its criteria and the idea
    as submitted are copied in, so editing a pipeline never rewrites a decided round."""

    id = Serial(primary_key=True)
    idea = ForeignKey(Idea, null=False, on_delete=OnDelete.cascade, index=True)
    gate = ForeignKey(Gate, null=True, on_delete=OnDelete.set_null, default=None)
    number = Integer(default=1)
    from_stage = Varchar(length=40)
    to_stage = Varchar(length=40)
    final = Boolean(default=False)  # passing it graduates the idea
    status = Varchar(length=20, default=RoundStatus.OPEN.value, index=True)
    quorum = Integer()
    threshold = Float()
    window_days = Integer()
    early_close = Boolean()
    criteria = JSON(default="[]")
    snapshot = JSON(default="{}")
    vote_count = Integer(default=0)
    opened_by = ForeignKey(Person, null=True, on_delete=OnDelete.set_null, default=None)
    opened_at = Timestamptz(default=TimestamptzNow())
    closes_at = Timestamptz(index=True)
    extended = Boolean(default=False)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Integer(null=True, default=None)
    tally = JSON(default="{}")


class PanelMember(Table):
    """A peer invited to vote (others not on the team may vote too)."""

    id = Serial(primary_key=True)
    round = ForeignKey(GateRound, null=False, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    invited_at = Timestamptz(default=TimestamptzNow())


class Decision(StrEnum):
    GO = "go"
    HOLD = "hold"
    KILL = "kill"


class Vote(Table):
    """One per (round, voter); voting again replaces it while the round is open."""

    id = Serial(primary_key=True)
    round = ForeignKey(GateRound, null=False, on_delete=OnDelete.cascade, index=True)
    voter = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    decision = Varchar(length=10)
    scores = JSON(default="{}")
    rationale = Text(default="")
    cast_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
