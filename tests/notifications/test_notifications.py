"""Notifications reach people as they chose: in the app, by e-mail in their language,
through a real SMTP server started here; a dead server only delays the mail."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from incubator.accounts import services as accounts
from incubator.gates import services as gates
from incubator.ideas import services as ideas
from incubator.notifications import services
from incubator.notifications.delivery import queue_daily_digests, unsubscribe_token
from incubator.notifications.sender import send_due
from incubator.notifications.tables import Notification, NotificationPreference, OutboxMessage
from incubator.settings import get_settings
from incubator.teams import services as teams
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count, text_of
from tests.gates.helpers import ballot, peers


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    port = _free_port()
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    yield port
    get_settings.cache_clear()


def serve_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


async def want_email(person_id: int, *kinds: str) -> None:
    for kind in kinds:
        await services.set_preference(person_id, kind, "email")


def test_each_event_makes_one_notification_and_one_mail_in_the_readers_language(
    run: Run, personas: dict[str, Persona], smtp_port: int
) -> None:
    controller, inbox = serve_smtp(smtp_port)
    try:

        async def scenario() -> None:
            ada, bob = (
                await factories.actor(personas["ada"].id),
                await factories.actor(personas["bob"].id),
            )
            await accounts.set_locale(personas["ada"].id, "fr")
            await want_email(personas["ada"].id, "join_requested", "round_decided")
            idea_id = await factories.idea(ada.id, title="Casiers connectés")
            request_id = await teams.request_to_join(bob, idea_id, "Je peux aider")
            await teams.answer_request(
                await factories.actor(ada.id), idea_id, request_id, accept=True
            )
            voters = await peers(3)
            for voter in voters:
                await want_email(voter.id, "panel_invited")
            round_id = await gates.submit_to_gate(await factories.actor(ada.id), idea_id)
            for voter in voters:
                await gates.cast_vote(voter, round_id, ballot("go"))
            await send_due(datetime.now(UTC))

        run(scenario())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(inbox.messages) < 2:
            time.sleep(0.05)
    finally:
        controller.stop()
    to_ada = [m for m in inbox.messages if m["To"] == personas["ada"].email]
    assert [subject(m).replace("\u00a0", " ") for m in to_ada] == [
        "[Incubator] Bob Peer demande à rejoindre votre équipe sur « Casiers connectés ».",
        "[Incubator] Les pairs ont décidé pour « Casiers connectés » : validée.",
    ]
    body = to_ada[0].get_body(("plain",))
    assert body is not None
    assert "Stop these e-mails" not in body.get_content()
    assert "/notifications/unsubscribe?token=" in body.get_content()
    panel_mails = sorted(m["To"] for m in inbox.messages if m["To"] != personas["ada"].email)
    invited_voters = run(
        Notification.select(Notification.recipient.email.as_alias("email"))
        .where((Notification.kind == "panel_invited") & Notification.recipient.email.like("voter%"))
        .run()
    )
    assert panel_mails == sorted(
        row["email"] for row in invited_voters
    )  # the ones who chose e-mail
    assert (
        run(
            Notification.count()
            .where(
                (Notification.kind == "join_requested")
                & (Notification.recipient == personas["ada"].id)
            )
            .run()
        )
        == 1
    )
    assert run(OutboxMessage.count().where(OutboxMessage.sent_at.is_null()).run()) == 0


def test_a_dead_smtp_server_only_delays_the_mail(
    run: Run, personas: dict[str, Persona], smtp_port: int
) -> None:
    async def queue() -> None:
        await want_email(personas["ada"].id, "join_requested")
        idea_id = await factories.idea(personas["ada"].id)
        await teams.request_to_join(await factories.actor(personas["bob"].id), idea_id, "hi")

    run(queue())
    now = datetime.now(UTC)
    assert run(send_due(now)) == 0  # nobody listens on the port
    row = run(
        OutboxMessage.select(
            OutboxMessage.attempts, OutboxMessage.sent_at, OutboxMessage.last_error
        )
        .first()
        .run()
    )
    assert row["attempts"] == 1
    assert row["sent_at"] is None
    assert row["last_error"]
    assert run(send_due(now + timedelta(seconds=30))) == 0  # backing off: not retried yet
    controller, inbox = serve_smtp(smtp_port)
    try:
        assert run(send_due(now + timedelta(minutes=2))) == 1
        assert run(send_due(now + timedelta(minutes=10))) == 0  # never twice
        time.sleep(0.2)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_off_means_nothing_at_all(run: Run, personas: dict[str, Persona]) -> None:
    async def scenario() -> None:
        await services.set_preference(personas["ada"].id, "join_requested", "off")
        idea_id = await factories.idea(personas["ada"].id)
        await teams.request_to_join(await factories.actor(personas["bob"].id), idea_id, "hi")

    run(scenario())
    assert run(Notification.count().run()) == 0
    assert run(OutboxMessage.count().run()) == 0


@pytest.mark.parametrize(("unread", "badge"), [(99, "99"), (100, "99+"), (250, "99+")])
def test_the_unread_badge_counts_to_99_then_shows_99_plus(
    browser: Browser, personas: dict[str, Persona], run: Run, unread: int, badge: str
) -> None:
    """The header counts no further than it shows: a page costs the same to someone
    with thousands of unread notifications."""
    ada = personas["ada"].id
    notes = [
        Notification(recipient=ada, kind="join_requested", subject_type="idea", subject_id=1)
        for _ in range(unread)
    ]
    run(Notification.insert(*notes).run())
    browser.login(personas["ada"].email)
    label = "More than 99 unread" if unread > 99 else "99 unread"
    expected = f'<span class="unread-count" aria-label="{label}">{badge}</span>'
    assert expected in browser.get("/").text
    assert expected in browser.get("/notifications/count").text


def test_the_inbox_unread_count_and_preferences_pages(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    async def scenario() -> None:
        idea_id = await factories.idea(personas["ada"].id, title="Casiers")
        await teams.request_to_join(await factories.actor(personas["bob"].id), idea_id, "hi")

    run(scenario())
    browser.login(personas["ada"].email)
    home = browser.get("/").text
    assert 'class="unread-count"' in home
    inbox = text_of(browser.get("/notifications").text)
    assert "Bob Peer asks to join your team on “Casiers”." in inbox
    browser.post("/notifications/read")
    assert 'class="unread-count"' not in browser.get("/").text
    saved = browser.post("/notifications/preferences", {"pref_join_requested": "email"})
    assert saved.status_code == 303
    assert run(NotificationPreference.select(NotificationPreference.delivery).first().run()) == {
        "delivery": "email"
    }


def test_the_unsubscribe_link_works_without_signing_in(
    new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    run(services.set_preference(personas["ada"].id, "round_decided", "email"))
    anonymous = new_browser()
    token = unsubscribe_token(personas["ada"].id, "round_decided")
    assert "Stop e-mails for" in text_of(
        anonymous.get(f"/notifications/unsubscribe?token={token}").text
    )
    assert anonymous.post("/notifications/unsubscribe", {"token": token}).status_code == 200
    assert run(NotificationPreference.select(NotificationPreference.delivery).first().run()) == {
        "delivery": "in_app"
    }
    assert anonymous.get("/notifications/unsubscribe?token=forged.123").status_code == 400


def test_the_inbox_costs_the_same_queries_whatever_its_length(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    async def requests(count: int) -> None:
        for number in range(count):
            idea_id = await factories.idea(personas["ada"].id, title=f"Idea {number}")
            await teams.request_to_join(await factories.actor(personas["bob"].id), idea_id, "hi")

    browser.login(personas["ada"].email)
    run(requests(1))
    small = query_count(browser.get("/notifications"))
    run(requests(20))
    assert query_count(browser.get("/notifications")) == small


def test_the_daily_digest_gathers_a_days_news_once(run: Run, personas: dict[str, Persona]) -> None:
    async def scenario() -> list[int]:
        await services.set_preference(personas["ada"].id, "join_requested", "digest")
        for title in ("First", "Second"):
            idea_id = await factories.idea(personas["ada"].id, title=title)
            await teams.request_to_join(await factories.actor(personas["bob"].id), idea_id, "hi")
        now = datetime.now(UTC)
        # Later the same day, whatever the hour the suite runs at (an hour later crossed
        # midnight in a run after 23:00 and rightly queued the next day's digest).
        later = max(now, now.replace(hour=23, minute=59, second=59, microsecond=0))
        return [await queue_daily_digests(now), await queue_daily_digests(later)]

    assert run(scenario()) == [1, 0]
    digest = run(OutboxMessage.select(OutboxMessage.subject, OutboxMessage.body_text).first().run())
    assert "2" in digest["subject"]
    assert "“First”" in digest["body_text"]
    assert "“Second”" in digest["body_text"]
    assert run(Notification.count().where(Notification.kind == "join_requested").run()) == 2


def test_followers_hear_of_comments_and_supporters_of_decisions(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> None:
        idea_id = await factories.idea(personas["ada"].id, title="Repair café")
        eve, dan = (
            await factories.actor(personas["eve"].id),
            await factories.actor(personas["dan"].id),
        )
        await ideas.toggle_support(eve, idea_id)  # supports, does not follow
        await ideas.comment_on_idea(dan, idea_id, "Which stores first?")  # commenting follows
        round_id = await gates.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        for voter in await peers(3):
            await gates.cast_vote(voter, round_id, ballot("go"))

    run(scenario())
    comments = run(
        Notification.select(Notification.recipient)
        .where(Notification.kind == "comment_posted")
        .run()
    )
    assert [row["recipient"] for row in comments] == [personas["ada"].id]  # not Dan himself
    decided = {
        row["recipient"]
        for row in run(
            Notification.select(Notification.recipient)
            .where(Notification.kind == "round_decided")
            .run()
        )
    }
    assert {personas["ada"].id, personas["eve"].id, personas["dan"].id} <= decided
