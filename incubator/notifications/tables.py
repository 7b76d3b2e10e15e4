from enum import StrEnum

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
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


class Delivery(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    DIGEST = "digest"
    OFF = "off"


class NotificationPreference(Table):
    """How a person wants one kind of notification; no row means in-app only."""

    id = Serial(primary_key=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40)
    delivery = Varchar(length=20, default=Delivery.IN_APP.value)


class OutboxMessage(Table):
    """An e-mail to send, written in the transaction of the event that caused it; the
    scheduler's sender delivers it (retries with back-off, a lease against doubles)."""

    id = Serial(primary_key=True)
    recipient = ForeignKey(Person, null=True, on_delete=OnDelete.set_null, default=None)
    to_address = Varchar(length=254)
    subject = Varchar(length=200)
    body_text = Text()
    body_html = Text()
    kind = Varchar(length=40)
    created_at = Timestamptz(default=TimestamptzNow())
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    sent_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(default="")
