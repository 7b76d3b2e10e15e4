"""The Jinja environment: autoescaped, translated per request, with date filters."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from babel.dates import format_date, format_datetime, format_timedelta
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.filters import do_urlencode
from jinja2.nodes import EvalContext
from jinja2.utils import url_quote
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup, escape

from incubator.i18n import (
    LOCALE_NAMES,
    SUPPORTED_LOCALES,
    current_locale,
    gettext,
    translations,
)
from incubator.web.markdown import markdown_excerpt, render_markdown


# Jinja's own newstyle gettext takes the whole template context, copying it inside
# loops, and goes through three calls per message; these take only the evaluation
# context (for autoescaping) and do the same: translate, escape the variables, format.
def _filled(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
    """A message with its variables, escaped when the template autoescapes. Markup's own
    `%` wraps every value in a helper object; numbers need no escaping at all."""
    if not eval_ctx.autoescape:
        return text % variables
    for name, value in variables.items():
        if not isinstance(value, int | float):
            variables[name] = escape(value)
    return Markup(text % variables)  # noqa: S704 - our catalogue, the values escaped


@pass_eval_context
def _gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    return _filled(eval_ctx, translations(current_locale()).gettext(message), variables)


@pass_eval_context
def _ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    text = translations(current_locale()).ngettext(singular, plural, num)
    variables.setdefault("num", num)
    return _filled(eval_ctx, text, variables)


def _as_datetime(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def at_most_filter(count: int, shown: int) -> str:
    """A count shown up to a limit, then as "limit+" (a badge of 99+ unread)."""
    return f"{shown}+" if count > shown else str(count)


def date_filter(value: date | datetime | str | None, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, format=style, locale=current_locale())
    return format_date(_as_datetime(value), format=style, locale=current_locale())


def datetime_filter(value: datetime | str | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(_as_datetime(value), format=style, locale=current_locale())


def ago_filter(value: datetime | str | None) -> str:
    if value is None:
        return ""
    delta = _as_datetime(value) - datetime.now(UTC)
    return format_timedelta(delta, add_direction=True, locale=current_locale())


def countdown_filter(value: datetime | str | None) -> str:
    """ "Decision due in 3 days" / "Overdue by 2 days", in the reader's language."""
    if value is None:
        return ""
    delta = _as_datetime(value) - datetime.now(UTC)
    span = format_timedelta(abs(delta), threshold=1.0, locale=current_locale())
    if delta.total_seconds() >= 0:
        return gettext("Decision due in %(span)s", span=span)
    return gettext("Overdue by %(span)s", span=span)


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return url_quote(text)


def urlencode_filter(value: Any) -> str:
    """Jinja's `urlencode`, remembering strings: the same tags and names are quoted in
    link after link (a board page quotes some sixty)."""
    return _quoted(value) if type(value) is str else str(do_urlencode(value))


def initials_filter(name: str) -> str:
    words = [word for word in name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def avatar_seed_filter(value: int | str) -> int:
    return sum(str(value).encode()) % 8


def static_url_builder(static_dir: Path) -> Callable[[str], str]:
    """`static_url("css/app.css")` gives the file's URL with a hash of its bytes, so a
    browser may cache it forever and still fetches a changed file at once."""
    fingerprints = {
        path.relative_to(static_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in static_dir.rglob("*")
        if path.is_file()
    }

    def static_url(path: str) -> str:
        return f"/static/{path}?v={fingerprints[path]}"

    return static_url


class PortalEnvironment(Environment):
    """Reads `row.title` from a plain dict by key first, as `row["title"]` does.

    Query rows are dicts, and Jinja's `.` tries the attribute first: on a dict that
    raises and catches an AttributeError for every field shown, about ten times the
    cost of the key lookup (hundreds per page of cards). Anything else, and a dict
    without that key (`names.items()`), goes the usual way."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


# What an idea card shows besides its labels and tags (cards.html.jinja2, idea_card).
IDEA_CARD_FIELDS = (
    "id",
    "title",
    "stage",
    "status",
    "identity_hidden",
    "summary",
    "author_name",
    "support_count",
    "comment_count",
    "challenge_title",
)
# At ~1.5 kB of markup each: a few MB per worker.
IDEA_CARDS_REMEMBERED = 4096


class RememberedIdeaCards:
    """The `remembered_idea_card` global: an idea card's markup, rendered once for each
    distinct content, labels, heading level and language, then reused. Rendering the
    cards was half of the board's CPU, and a board shows the same cards to everyone
    until one changes. Keyed by every value the card shows, so a changed count, title
    or masked author is a new card at once; the least recently shown are forgotten."""

    def __init__(self, env: Environment, capacity: int = IDEA_CARDS_REMEMBERED) -> None:
        self._env = env
        self._shown = itemgetter(*IDEA_CARD_FIELDS)
        self._render = lru_cache(maxsize=capacity)(self._render_card)
        self.cache_info = self._render.cache_info

    def __call__(
        self,
        idea: dict[str, Any],
        stage_names: dict[str, str],
        status_names: dict[str, str],
        heading: int,
    ) -> Markup:
        stage, status = idea["stage"], idea["status"]
        return self._render(
            current_locale(),
            heading,
            stage_names.get(stage, stage),
            status_names.get(status, status),
            tuple(idea["tags"]),
            self._shown(idea),
        )

    def _render_card(
        self,
        _locale: str,
        heading: int,
        stage_label: str,
        status_label: str,
        tags: tuple[str, ...],
        values: tuple[Any, ...],
    ) -> Markup:
        idea = dict(zip(IDEA_CARD_FIELDS, values, strict=True), tags=tags)
        cards: Any = self._env.globals["cards"]
        # A macro of an autoescaping environment returns Markup.
        return cast(Markup, cards.idea_card(idea, stage_label, status_label, heading))


def build_environment(
    templates_dir: Path, *, auto_reload: bool, static_dir: Path | None = None
) -> Environment:
    env = PortalEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=auto_reload,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The i18n extension stays for {% trans %} and extraction; its callables are ours.
    env.globals.update(gettext=_gettext, ngettext=_ngettext, _=_gettext)
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.filters.update(
        date=date_filter,
        datetime=datetime_filter,
        ago=ago_filter,
        countdown=countdown_filter,
        initials=initials_filter,
        urlencode=urlencode_filter,
        avatar_seed=avatar_seed_filter,
        at_most=at_most_filter,
        markdown=render_markdown,
        excerpt=markdown_excerpt,
    )
    env.globals.update(
        current_locale=current_locale,
        supported_locales=SUPPORTED_LOCALES,
        locale_names=LOCALE_NAMES,
    )
    if static_dir is not None:
        env.globals["static_url"] = static_url_builder(static_dir)
    # The component macros are globals so that a block rendered alone for htmx (which
    # skips its template's top-level imports) sees them too.
    env.globals["ui"] = env.get_template("components/ui.html.jinja2").module
    env.globals["forms"] = env.get_template("components/forms.html.jinja2").module
    # Before the cards' module is made: a module sees the globals of its making.
    env.globals["remembered_idea_card"] = RememberedIdeaCards(env)
    env.globals["cards"] = env.get_template("components/cards.html.jinja2").module
    return env


def template_config(
    templates_dir: Path, static_dir: Path, *, auto_reload: bool
) -> TemplateConfig[JinjaTemplateEngine]:
    env = build_environment(templates_dir, auto_reload=auto_reload, static_dir=static_dir)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
