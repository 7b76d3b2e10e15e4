"""The default pipeline's stages, in order, with their names in the request's language."""

from __future__ import annotations

from incubator.i18n import gettext as _

STAGE_KEYS: tuple[str, ...] = ("spark", "explore", "prototype", "pilot", "scale")
FIRST_STAGE = STAGE_KEYS[0]


def stage_names() -> dict[str, str]:
    return {
        "spark": _("Spark"),
        "explore": _("Explore"),
        "prototype": _("Prototype"),
        "pilot": _("Pilot"),
        "scale": _("Scale"),
    }


def status_names() -> dict[str, str]:
    return {
        "active": _("Active"),
        "on_hold": _("On hold"),
        "killed": _("Stopped"),
        "graduated": _("Graduated"),
    }
