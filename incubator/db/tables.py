from piccolo.columns import JSON, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table):
    """Append-only record of every decision: nothing updates or deletes these rows.

    The actor is a plain id, not a foreign key: the log must outlive whatever it mentions.
    Each event carries the hash of the one before it (a chain: see `incubator.db.audit`),
    so an edited, removed or inserted row shows when the chain is verified.
    """

    id = Serial(primary_key=True)
    actor_id = Integer(null=True, index=True)
    action = Varchar(length=80, index=True)
    subject_type = Varchar(length=40)
    subject_id = Integer(null=True)
    data = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow(), index=True)
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class JobRun(Table):
    """Which periodic job ran for which period (e.g. a week): the unique (job, period)
    lets one process claim it however many schedulers run."""

    id = Serial(primary_key=True)
    job = Varchar(length=60)
    period = Varchar(length=20)
    ran_at = Timestamptz(default=TimestamptzNow())


class Lease(Table):
    """Who holds a named role that one process at a time may play (the clock), and until
    when: a holder that dies loses it once `expires_at` passes."""

    id = Serial(primary_key=True)
    name = Varchar(length=60, unique=True)
    holder = Varchar(length=120)
    expires_at = Timestamptz()
