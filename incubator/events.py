"""A small in-process event bus. Domains publish what happened; subscribers (such as
notifications) react inside the same transaction, so the reaction is saved with the change
or not at all. Domains never import their subscribers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]

_subscribers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


async def publish(event: object) -> None:
    for handler in _subscribers[type(event)]:
        await handler(event)


@dataclass(frozen=True)
class JoinRequested:
    idea_id: int
    idea_title: str
    request_id: int
    requester_id: int
    requester_name: str
    team_member_ids: tuple[int, ...]


@dataclass(frozen=True)
class JoinAnswered:
    idea_id: int
    idea_title: str
    request_id: int
    requester_id: int
    accepted: bool


@dataclass(frozen=True)
class PanelInvited:
    round_id: int
    idea_id: int
    idea_title: str
    closes_at: str
    panel_ids: tuple[int, ...]


@dataclass(frozen=True)
class RoundDecided:
    round_id: int
    idea_id: int
    idea_title: str
    outcome: str
    to_stage: str


@dataclass(frozen=True)
class RoundEscalated:
    """A round ended without quorum after its extension: leadership must hear of it."""

    round_id: int
    idea_id: int
    idea_title: str


@dataclass(frozen=True)
class LeadershipDigest:
    """The weekly summary for leadership: what came in, what was decided, what is stuck."""

    period: str
    summary: dict[str, int]


@dataclass(frozen=True)
class CommentPosted:
    subject_type: str
    subject_id: int
    comment_id: int
    author_id: int
    author_name: str


@dataclass(frozen=True)
class Recorded:
    """An event entered the audit log, inside the transaction of the change it records:
    for what follows every decision of a kind, whichever domain made it."""

    action: str
    subject_type: str
    subject_id: int | None
