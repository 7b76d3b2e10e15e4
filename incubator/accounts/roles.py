from __future__ import annotations

from enum import StrEnum

from incubator.i18n import gettext as _


class Role(StrEnum):
    """What a person may do beyond what every member may do. Never a job title."""

    STEWARD = "steward"
    LEADERSHIP = "leadership"
    ADMIN = "admin"


ALL_ROLES: tuple[Role, ...] = tuple(Role)


def role_names() -> dict[str, str]:
    """Role labels in the request's language."""
    return {
        Role.STEWARD.value: _("Steward"),
        Role.LEADERSHIP.value: _("Leadership"),
        Role.ADMIN.value: _("Administrator"),
    }
