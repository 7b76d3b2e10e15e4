"""Reading url-encoded forms: every value a stripped string, absent means empty.

NUL characters are dropped: no one types them, and PostgreSQL refuses them in text."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException, ValidationException

# Row ids are 32-bit serials on PostgreSQL: a larger number names nothing.
MAX_ID = 2**31 - 1


async def refuse_what_the_database_cannot_hold(request: Request[Any, Any, Any]) -> None:
    """Before any handler: `/ideas/99999999999` names nothing (404), and no search or
    filter holds a NUL character (400). Sent on, PostgreSQL's driver would refuse both
    (a 500): a number past its column's range, a NUL in text."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFoundException()
    if "%00" in request.scope["query_string"].decode("latin-1"):
        raise ValidationException()


def parse_id(text: str) -> int | None:
    """A row id written in ASCII digits (`str.isdigit` also accepts "²", which `int`
    refuses), or None."""
    text = text.strip()
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class FormValues:
    def __init__(self, data: Any) -> None:
        self._data = data

    def text(self, name: str) -> str:
        value = self._data.get(name)
        return value.replace("\x00", "").strip() if isinstance(value, str) else ""

    def raw(self, name: str) -> str:
        """Unstripped (passwords: spaces are characters)."""
        value = self._data.get(name)
        return value if isinstance(value, str) else ""

    def id(self, name: str) -> int | None:
        """A row id, or None when the field is empty or names no possible row."""
        return parse_id(self.text(name))

    def all(self, name: str) -> list[str]:
        getall = getattr(self._data, "getall", None)
        values = getall(name, []) if getall else [self._data.get(name)]
        cleaned = (v.replace("\x00", "").strip() for v in values if isinstance(v, str))
        return [v for v in cleaned if v]

    def names(self) -> list[str]:
        return [str(name) for name in self._data]

    def checked(self, name: str) -> bool:
        return self.text(name).lower() in {"1", "on", "true", "yes"}


async def read_form(request: Request[Any, Any, Any]) -> FormValues:
    return FormValues(await request.form())
