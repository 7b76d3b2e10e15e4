"""Translations for Python code and templates, resolved per request.

The French catalogue is compiled from its `.po` file when first needed, so a checkout
never serves a stale `.mo`. The locale of the current request lives in a ContextVar set
by the web layer; services and templates call the same `gettext`.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from incubator.settings import PACKAGE_DIR

DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "fr")
LOCALE_NAMES: dict[str, str] = {"en": "English", "fr": "Français"}
LOCALE_DIR = PACKAGE_DIR / "locale"

_current: ContextVar[str] = ContextVar("incubator_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations(locale: str) -> stdlib_gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return stdlib_gettext.NullTranslations()
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(fp=compiled)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **variables: object) -> str:
    text = translations(_current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def negotiate_locale(accept_language: str | None) -> str:
    """Pick `en` or `fr` from an Accept-Language header."""
    if not accept_language:
        return DEFAULT_LOCALE
    preferred: list[tuple[float, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            preferred.append((quality - position * 1e-6, tag.strip().replace("-", "_")))
    ordered = [tag for _quality, tag in sorted(preferred, reverse=True)]
    try:
        chosen = Locale.negotiate(ordered, list(SUPPORTED_LOCALES), sep="_")
    except (UnknownLocaleError, ValueError):
        chosen = None
    return str(chosen) if chosen else DEFAULT_LOCALE
