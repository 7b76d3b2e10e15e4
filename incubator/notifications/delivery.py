"""Delivering a notification as each person chose: in the app, by e-mail at once, in a
daily digest, or not at all. Runs inside the transaction of the event."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment

from incubator.accounts.tables import Person
from incubator.db.jobs import claim
from incubator.i18n import gettext, using_locale
from incubator.live import signal
from incubator.notifications.messages import kind_names, link, sentence
from incubator.notifications.tables import (
    Delivery,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from incubator.settings import get_settings
from incubator.web.identities import identities_changed
from incubator.web.templating import build_environment


@lru_cache(maxsize=1)
def _mail_templates() -> Environment:
    return build_environment(get_settings().templates_dir, auto_reload=False)


def unsubscribe_token(person_id: int, kind: str) -> str:
    payload = f"{person_id}:{kind}"
    signature = hmac.new(get_settings().secret_key.encode(), payload.encode(), hashlib.sha256)
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{encoded}.{signature.hexdigest()[:32]}"


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    encoded, _dot, _signature = token.partition(".")  # checked whole, in constant time
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        person, kind = payload.split(":", 1)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(unsubscribe_token(int(person), kind), token):
        return None
    return int(person), kind


async def preferences(person_ids: list[int], kind: str) -> dict[int, str]:
    rows = (
        await NotificationPreference.select(
            NotificationPreference.person, NotificationPreference.delivery
        )
        .where(
            NotificationPreference.person.is_in(person_ids or [0])
            & (NotificationPreference.kind == kind)
        )
        .run()
    )
    found = {row["person"]: row["delivery"] for row in rows}
    return {person: found.get(person, Delivery.IN_APP.value) for person in person_ids}


async def deliver(
    recipients: set[int], kind: str, subject_type: str, subject_id: int, data: dict[str, Any]
) -> None:
    """One in-app notification per recipient (unless they turned this kind off), and an
    e-mail in the outbox for those who want it at once."""
    if not recipients:
        return
    chosen = await preferences(sorted(recipients), kind)
    wanted = [person for person, delivery in chosen.items() if delivery != Delivery.OFF.value]
    if wanted:
        await Notification.insert(
            *(
                Notification(
                    recipient=person,
                    kind=kind,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    data=data,
                )
                for person in wanted
            )
        ).run()
        for person in wanted:
            signal(f"person:{person}", "unread")
        await identities_changed(*wanted)  # their unread count
    by_mail = [person for person, delivery in chosen.items() if delivery == Delivery.EMAIL.value]
    if by_mail:
        people = (
            await Person.select(Person.id, Person.email, Person.name, Person.locale)
            .where(
                Person.id.is_in(by_mail) & (Person.is_active == True)  # noqa: E712
            )
            .run()
        )
        await OutboxMessage.insert(
            *(compose(person, kind, subject_type, subject_id, data) for person in people)
        ).run()


def compose(
    person: dict[str, Any], kind: str, subject_type: str, subject_id: int, data: dict[str, Any]
) -> OutboxMessage:
    """The e-mail, in the recipient's language, with a one-click unsubscribe for this kind."""
    settings = get_settings()
    with using_locale(person["locale"]):
        context = {
            "name": person["name"],
            "sentence": sentence(kind, data),
            "url": settings.base_url + link(kind, subject_type, subject_id, data),
            "unsubscribe_url": f"{settings.base_url}/notifications/unsubscribe?token="
            + unsubscribe_token(person["id"], kind),
            "kind_name": kind_names().get(kind, kind),
        }
        env = _mail_templates()
        subject = (
            context["sentence"]
            if len(context["sentence"]) <= 150
            else context["sentence"][:147] + "…"
        )
        return OutboxMessage(
            recipient=person["id"],
            to_address=person["email"],
            subject=f"[Incubator] {subject}",
            body_text=env.get_template("emails/notification.txt.jinja2").render(**context),
            body_html=env.get_template("emails/notification.html.jinja2").render(**context),
            kind=kind,
        )


async def queue_daily_digests(now: datetime) -> int:
    """Once a day (claimed, so once whatever the schedulers): for each person who put some
    kinds in the digest, one e-mail listing the last day's notifications of those kinds."""
    if not await claim("notification_digest", now.date().isoformat()):
        return 0
    rows = (
        await NotificationPreference.select(
            NotificationPreference.person, NotificationPreference.kind
        )
        .where(NotificationPreference.delivery == Delivery.DIGEST.value)
        .run()
    )
    kinds_of: dict[int, list[str]] = {}
    for row in rows:
        kinds_of.setdefault(row["person"], []).append(row["kind"])
    queued = 0
    settings = get_settings()
    for person_id, kinds in kinds_of.items():
        notes = (
            await Notification.select()
            .where(
                (Notification.recipient == person_id)
                & Notification.kind.is_in(kinds)
                & (Notification.created_at >= now - timedelta(days=1))
            )
            .order_by(Notification.id)
            .output(load_json=True)
            .run()
        )
        person = (
            await Person.select(Person.id, Person.email, Person.name, Person.locale)
            .where(
                (Person.id == person_id) & (Person.is_active == True)  # noqa: E712
            )
            .first()
            .run()
        )
        if not notes or person is None:
            continue
        with using_locale(person["locale"]):
            lines = [
                (
                    sentence(n["kind"], n["data"] if isinstance(n["data"], dict) else {}),
                    settings.base_url
                    + link(
                        n["kind"],
                        n["subject_type"],
                        n["subject_id"],
                        n["data"] if isinstance(n["data"], dict) else {},
                    ),
                )
                for n in notes
            ]
            context = {
                "name": person["name"],
                "lines": lines,
                "preferences_url": f"{settings.base_url}/notifications/preferences",
            }
            env = _mail_templates()
            await OutboxMessage.insert(
                OutboxMessage(
                    recipient=person_id,
                    to_address=person["email"],
                    subject="[Incubator] "
                    + gettext("Your day on Incubator: %(num)s news", num=len(lines)),
                    body_text=env.get_template("emails/digest.txt.jinja2").render(**context),
                    body_html=env.get_template("emails/digest.html.jinja2").render(**context),
                    kind="digest",
                )
            ).run()
        queued += 1
    return queued
