"""The outbox sender, run by the scheduler. Each message is leased (a conditional update)
before sending, so two schedulers never send it twice; a failure leaves it queued with a
growing delay; without SMTP_URL, messages are written to the log and marked sent."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from incubator.notifications.tables import OutboxMessage
from incubator.settings import get_settings

logger = logging.getLogger("incubator.mail")
LEASE = timedelta(minutes=5)
BATCH = 50
MAX_ATTEMPTS = 12


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _smtp_send(url: str, sender: str, message: dict[str, Any]) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message["to_address"]
    mail["Subject"] = message["subject"]
    # A stable id per outbox row lets a mail server drop a duplicate after a crash.
    mail["Message-ID"] = make_msgid(idstring=f"outbox-{message['id']}", domain="incubator")
    mail.set_content(message["body_text"])
    mail.add_alternative(message["body_html"], subtype="html")
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port or 465, timeout=20, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port or 25, timeout=20)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(mail)


async def send_due(now: datetime) -> int:
    """Send what is due; returns how many were delivered (or logged)."""
    settings = get_settings()
    due = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_null()
            & (OutboxMessage.next_attempt_at <= now)
            & (OutboxMessage.attempts < MAX_ATTEMPTS)
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
        .run()
    )
    delivered = 0
    for row in due:
        leased = (
            await OutboxMessage.update(
                {
                    OutboxMessage.next_attempt_at: now + LEASE,
                    OutboxMessage.attempts: OutboxMessage.attempts + 1,
                }
            )
            .where(
                (OutboxMessage.id == row["id"])
                & OutboxMessage.sent_at.is_null()
                & (OutboxMessage.next_attempt_at <= now)
            )
            .returning(*OutboxMessage.all_columns())
            .run()
        )
        if not leased:
            continue  # another scheduler has it
        message = leased[0]
        try:
            if settings.smtp_url:
                await anyio.to_thread.run_sync(
                    _smtp_send, settings.smtp_url, settings.mail_from, message
                )
            else:
                logger.info(
                    "Mail to %s: %s\n%s",
                    message["to_address"],
                    message["subject"],
                    message["body_text"],
                )
        except (OSError, smtplib.SMTPException) as error:
            await (
                OutboxMessage.update(
                    {
                        OutboxMessage.next_attempt_at: now + backoff(message["attempts"]),
                        OutboxMessage.last_error: str(error)[:500],
                    }
                )
                .where(OutboxMessage.id == message["id"])
                .run()
            )
            logger.warning(
                "Mail %s not sent (attempt %s): %s", message["id"], message["attempts"], error
            )
            continue
        await (
            OutboxMessage.update({OutboxMessage.sent_at: now, OutboxMessage.last_error: ""})
            .where(OutboxMessage.id == message["id"])
            .run()
        )
        delivered += 1
    return delivered
