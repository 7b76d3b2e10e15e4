from piccolo.columns import JSON, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table):
    """Append-only record of every decision: nothing updates or deletes these rows.

    The actor is a plain id, not a foreign key: the log must outlive whatever it mentions.
    """

    id = Serial(primary_key=True)
    actor_id = Integer(null=True, index=True)
    action = Varchar(length=80, index=True)
    subject_type = Varchar(length=40)
    subject_id = Integer(null=True)
    data = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow(), index=True)
