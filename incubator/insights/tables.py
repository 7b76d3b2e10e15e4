from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from incubator.accounts.tables import Person


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    SOCIAL = "social"
    STORE = "store"
    OTHER = "other"


class Sentiment(StrEnum):
    PRAISE = "praise"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class Insight(Table):
    id = Serial(primary_key=True)
    quote = Text()
    channel = Varchar(length=20, index=True)
    segment = Varchar(length=80, default="")
    sentiment = Varchar(length=20, index=True)
    author = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    # "Seen it too": kept in the row, moved with the unique InsightSeen rows.
    seen_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class InsightSeen(Table):
    id = Serial(primary_key=True)
    insight = ForeignKey(Insight, null=False, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class InsightLink(Table):
    """An insight used as evidence for a challenge or an idea (by type and id)."""

    id = Serial(primary_key=True)
    insight = ForeignKey(Insight, null=False, on_delete=OnDelete.cascade, index=True)
    subject_type = Varchar(length=20)
    subject_id = Integer()
    linked_by = ForeignKey(Person, null=True, on_delete=OnDelete.set_null, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
