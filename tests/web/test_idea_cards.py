"""Idea cards are rendered once per content and language, then reused
(incubator.web.templating.remembered_idea_cards): what a page shows must be exactly what
a fresh rendering shows, whatever was shown before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment

from incubator.i18n import using_locale
from incubator.ideas.stages import stage_names, status_names
from incubator.web.templating import IDEA_CARDS_REMEMBERED, RememberedIdeaCards, build_environment

ROOT = Path(__file__).resolve().parents[2]
GRID = "{{ cards.idea_grid(ideas, stage_names(), status_names(), heading=2) }}"


def _idea(**changes: Any) -> dict[str, Any]:
    idea = {
        "id": 7,
        "title": "Shorter expense approvals",
        "stage": "explore",
        "status": "active",
        "identity_hidden": False,
        "summary": "One approver instead of three.",
        "tags": ["finance", "approvals"],
        "author_name": "Ada Lovelace",
        "support_count": 3,
        "comment_count": 1,
        "challenge_title": None,
        "created_at": "2026-12-01T09:00:00+00:00",
    }
    return idea | changes


def _environment() -> Environment:
    env = build_environment(ROOT / "templates", auto_reload=False)
    env.globals.update(stage_names=stage_names, status_names=status_names)
    return env


def _grid(env: Environment, *ideas: dict[str, Any], locale: str = "en") -> str:
    with using_locale(locale):
        return env.from_string(GRID).render(ideas=list(ideas))


def _fresh(idea: dict[str, Any], locale: str = "en") -> str:
    """The card as a new environment, which remembers nothing, renders it."""
    return _grid(_environment(), idea, locale=locale)


def test_a_remembered_card_is_the_card_rendered_afresh() -> None:
    env = _environment()
    first = _grid(env, _idea())
    again = _grid(env, _idea())
    assert again == first == _fresh(_idea())
    assert '<a href="/ideas/7">Shorter expense approvals</a>' in again
    assert "3 supporters" in again
    assert '<a class="tag" href="/ideas?tag=finance">finance</a>' in again


def test_every_value_a_card_shows_renders_it_anew() -> None:
    env = _environment()
    _grid(env, _idea())
    changes: list[dict[str, Any]] = [
        {"title": "Two approvers at most"},
        {"summary": "Approve in one click."},
        {"stage": "pilot"},
        {"status": "killed"},
        {"support_count": 4},
        {"comment_count": 2},
        {"tags": ["finance"]},
        {"author_name": None, "identity_hidden": True},
        {"challenge_title": "How might we pay suppliers faster?"},
    ]
    for change in changes:
        shown = _grid(env, _idea(**change))
        assert shown == _fresh(_idea(**change)), change
        assert shown != _fresh(_idea()), change
    masked = _grid(env, _idea(author_name=None, identity_hidden=True))
    assert "Ada Lovelace" not in masked
    assert "Author hidden until the first gate" in masked


def test_the_same_card_in_another_language_is_rendered_in_that_language() -> None:
    env = _environment()
    english = _grid(env, _idea())
    french = _grid(env, _idea(), locale="fr")
    assert "3 supporters" in english
    assert "3 soutiens" in french
    assert french == _fresh(_idea(), locale="fr")
    assert _grid(env, _idea()) == english


def test_a_remembered_card_stays_escaped() -> None:
    env = _environment()
    hostile = _idea(title="<script>alert(1)</script>", tags=["<b>x</b>"])
    _grid(env, hostile)
    shown = _grid(env, hostile)
    assert "<script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<b>x</b>" not in shown


def test_only_the_most_recently_shown_cards_are_kept() -> None:
    env = _environment()
    remembered = env.globals["remembered_idea_card"]
    assert isinstance(remembered, RememberedIdeaCards)
    for number in range(IDEA_CARDS_REMEMBERED + 50):
        _grid(env, _idea(id=number))
    assert remembered.cache_info().currsize == IDEA_CARDS_REMEMBERED
