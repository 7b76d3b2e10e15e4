"""Every user-facing string ships in French: extracted from the code as it is now and
looked up in the French catalogue, so a new string without a translation fails here."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from markupsafe import Markup

from incubator.i18n import LOCALE_DIR, negotiate_locale, translations, using_locale
from incubator.i18n import gettext as _
from incubator.web.templating import build_environment

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted_messages() -> set[str | tuple[str, str]]:
    method_map = [("incubator/**.py", "python"), ("templates/**.jinja2", "jinja2")]
    options_map = {"templates/**.jinja2": {"extensions": "jinja2.ext.i18n"}}
    messages: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map=method_map,
        options_map=options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        messages.add(message if isinstance(message, str) else (message[0], message[1]))
    return messages


def test_the_extraction_finds_the_strings_of_code_and_templates() -> None:
    messages = _extracted_messages()
    assert "Sign in to Incubator" in messages  # a template
    assert "Enter your work email address." in messages  # a service
    assert len(messages) > 100


def test_every_message_has_a_french_translation() -> None:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    missing = []
    for message in sorted(_extracted_messages(), key=str):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        strings = (
            (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
        )
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(msgid)
    assert not missing, f"{len(missing)} strings lack a French translation: {missing[:10]}"


def _texts(value: object) -> list[str]:
    """A catalogue entry's id or string: one text, or several for plural forms."""
    if isinstance(value, (list, tuple)):
        return [str(text) for text in value]
    return [value] if isinstance(value, str) else []


def test_translations_keep_their_placeholders() -> None:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    for entry in catalog:
        if not entry.id:
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_texts(entry.id))))
        for string in _texts(entry.string):
            assert set(PLACEHOLDER.findall(string)) <= wanted | {"num"}, entry.id
            assert set(PLACEHOLDER.findall(string)) >= wanted - {"num"}, entry.id


def test_gettext_follows_the_request_locale() -> None:
    with using_locale("fr"):
        assert _("Sign in") == "Se connecter"
        assert _("Keep your name under %(max)s characters.", max=120).endswith("120 caractères.")
    with using_locale("en"):
        assert _("Sign in") == "Sign in"
    assert translations("fr").ngettext("%(num)s person", "%(num)s people", 2) != "%(num)s people"


def test_accept_language_negotiation() -> None:
    assert negotiate_locale("fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert negotiate_locale("de-DE,de;q=0.9") == "en"
    assert negotiate_locale("de, fr;q=0.5") == "fr"
    assert negotiate_locale("en;q=0.1, fr;q=0.9") == "fr"
    assert negotiate_locale(";;;q=x, ***") == "en"
    assert negotiate_locale(None) == "en"


def test_template_messages_escape_their_values_and_keep_numbers_as_they_are() -> None:
    env = build_environment(ROOT / "templates", auto_reload=False)
    page = env.from_string(
        '{{ _("answering “%(title)s”", title=title) }} · '
        '{{ ngettext("%(num)s idea", "%(num)s ideas", count) }} · '
        '{{ _("answering “%(title)s”", title=trusted) }}'
    )
    with using_locale("fr"):
        shown = page.render(title="<b>Fast & fair</b>", count=3, trusted=Markup("<em>ok</em>"))
    assert shown == (
        "en réponse à «\xa0&lt;b&gt;Fast &amp; fair&lt;/b&gt;\xa0» · 3 idées · "
        "en réponse à «\xa0<em>ok</em>\xa0»"
    )
    plain = build_environment(ROOT / "templates", auto_reload=False)
    plain.autoescape = False
    assert plain.from_string('{{ _("answering “%(title)s”", title="<b>") }}').render() == (
        "answering “<b>”"
    )
