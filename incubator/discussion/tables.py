from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from incubator.accounts.tables import Person


class Comment(Table):
    id = Serial(primary_key=True)
    subject_type = Varchar(length=20)
    subject_id = Integer()
    # One level of replies: a reply's parent is always a top-level comment.
    parent: ForeignKey["Comment"] = ForeignKey(
        "self", null=True, on_delete=OnDelete.cascade, default=None
    )
    author = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    # Soft delete: the thread keeps its shape, the words are gone.
    deleted_at = Timestamptz(null=True, default=None)
    deleted_by = Integer(null=True, default=None)


class Follow(Table):
    id = Serial(primary_key=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    subject_type = Varchar(length=20)
    subject_id = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
