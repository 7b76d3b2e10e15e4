"""Who may shape a team: its members. Anyone else may only ask to join."""

from __future__ import annotations


def can_manage_team(*, on_team: bool) -> bool:
    return on_team


def can_ask_to_join(*, on_team: bool, idea_status: str) -> bool:
    return not on_team and idea_status in {"active", "on_hold"}
