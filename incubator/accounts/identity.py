from __future__ import annotations

from dataclasses import dataclass

from incubator.accounts.roles import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in person, as the rest of the portal needs to know them."""

    id: int
    name: str
    email: str
    locale: str
    roles: frozenset[str]
    department_id: int | None
    unread: int = 0  # notifications not yet read (filled in by the web app)

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles
