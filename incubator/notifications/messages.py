"""What each kind of notification says, in the reader's language, and where it leads."""

from __future__ import annotations

from typing import Any

from incubator.i18n import gettext as _

KINDS = (
    "comment_posted",
    "join_requested",
    "join_accepted",
    "join_declined",
    "panel_invited",
    "round_decided",
    "round_escalated",
    "leadership_digest",
)


def kind_names() -> dict[str, str]:
    return {
        "comment_posted": _("A comment on something I follow"),
        "join_requested": _("Someone asks to join my team"),
        "join_accepted": _("My request to join a team is accepted"),
        "join_declined": _("My request to join a team is declined"),
        "panel_invited": _("I am invited to review an idea"),
        "round_decided": _("A decision on an idea I follow"),
        "round_escalated": _("A round ended without quorum (leadership)"),
        "leadership_digest": _("The weekly pipeline digest (leadership)"),
    }


def sentence(kind: str, data: dict[str, Any]) -> str:
    title = str(data.get("idea_title", ""))
    if kind == "comment_posted":
        return _(
            "%(name)s commented on “%(title)s”.",
            name=data.get("author", ""),
            title=data.get("title", ""),
        )
    if kind == "join_requested":
        return _(
            "%(name)s asks to join your team on “%(title)s”.",
            name=data.get("requester", ""),
            title=title,
        )
    if kind == "join_accepted":
        return _("You are on the team of “%(title)s”.", title=title)
    if kind == "join_declined":
        return _("The team of “%(title)s” declined your request this time.", title=title)
    if kind == "panel_invited":
        return _("You are invited to review “%(title)s” at its gate.", title=title)
    if kind == "round_decided":
        return _(
            "Peers decided on “%(title)s”: %(outcome)s.",
            title=title,
            outcome=outcome_name(str(data.get("outcome", ""))),
        )
    if kind == "round_escalated":
        return _(
            "“%(title)s” got no decision: not enough peers voted, even after an extension.",
            title=title,
        )
    if kind == "leadership_digest":
        return _(
            "This week: %(new)s new ideas, %(decided)s decisions, %(stalled)s stalled ideas, "
            "%(escalations)s rounds without quorum.",
            new=data.get("new_ideas", 0),
            decided=data.get("decisions", 0),
            stalled=data.get("stalled", 0),
            escalations=data.get("escalations", 0),
        )
    return kind


def outcome_name(outcome: str) -> str:
    return {
        "passed": _("passed"),
        "killed": _("stopped"),
        "recycled": _("back to the team"),
        "no_quorum": _("no quorum"),
    }.get(outcome, outcome)


def link(kind: str, subject_type: str, subject_id: int, data: dict[str, Any]) -> str:
    """Where the notification leads: the round for gate news, else its subject."""
    if kind in {"panel_invited", "round_decided", "round_escalated"} and "round" in data:
        return f"/gates/{data['round']}"
    if kind == "comment_posted":
        return f"/{subject_type}s/{subject_id}#comment-{data.get('comment', '')}"
    if subject_type == "idea":
        return f"/ideas/{subject_id}" + ("#team" if kind.startswith("join_") else "")
    if subject_type == "pipeline":
        return "/pipeline"
    return "/"
