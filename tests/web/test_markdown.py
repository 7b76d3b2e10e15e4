"""Markdown rendering: sanitised on every path, remembered only within its memory bound."""

from __future__ import annotations

from incubator.web import markdown
from incubator.web.markdown import render_markdown

HOSTILE = "Read [this](javascript:alert(1)) and **that**.\n\n<script>alert(2)</script>"


def test_a_remembered_text_comes_back_sanitised_and_unchanged() -> None:
    first = render_markdown(HOSTILE)
    again = render_markdown(HOSTILE)
    assert again == first
    assert "<strong>that</strong>" in again
    assert 'href="javascript:' not in again
    assert "<script>" not in again


def test_only_texts_up_to_the_cap_are_remembered() -> None:
    remembered = markdown._render_remembered
    short = "A short comment, shown on every visit. " + "x" * 10
    long = "A long description. " + "y" * markdown._CACHED_MAX_LENGTH
    before = remembered.cache_info().currsize
    render_markdown(short)
    assert remembered.cache_info().currsize == before + 1
    render_markdown(long)
    assert remembered.cache_info().currsize == before + 1
    assert render_markdown(long).startswith("<p>A long description. yyy")
