from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from incubator.accounts.tables import Person


class Notification(Table):
    id = Serial(primary_key=True)
    recipient = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40)
    subject_type = Varchar(length=20)
    subject_id = Integer()
    data = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)
