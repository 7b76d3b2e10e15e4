"""Markdown for problem statements, descriptions and comments: CommonMark with raw HTML
off, then sanitised by nh3 — only then is it marked safe for the templates."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    parser.enable(["table", "strikethrough"])
    # Headings inside user text start at h3: the page owns h1 and h2.
    parser.core.ruler.push("shift_headings", _shift_headings)
    return parser


def _shift_headings(state: object) -> None:
    for token in getattr(state, "tokens", []):
        if token.type in {"heading_open", "heading_close"}:
            level = min(int(token.tag[1]) + 2, 6)
            token.tag = f"h{level}"


# Parsing and sanitising took a seventh of an idea page's time, for texts that rarely
# change: the most recently shown short ones (most comments) are kept, per worker. The
# length cap bounds the memory: at most ~20 MB however long the texts people write.
_CACHED_MAX_LENGTH = 2_000
_CACHED_TEXTS = 1_024


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    if len(text) <= _CACHED_MAX_LENGTH:
        return _render_remembered(text)
    return _render(text)


@lru_cache(maxsize=_CACHED_TEXTS)
def _render_remembered(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    html = _parser().render(text)
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


def markdown_excerpt(text: str | None, length: int = 220) -> str:
    """Plain text of the rendered Markdown, cut at a word boundary (for cards)."""
    plain = " ".join(render_markdown(text).striptags().split())
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
