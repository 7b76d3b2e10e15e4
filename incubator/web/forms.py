"""Reading url-encoded forms: every value a stripped string, absent means empty."""

from __future__ import annotations

from typing import Any

from litestar import Request


class FormValues:
    def __init__(self, data: Any) -> None:
        self._data = data

    def text(self, name: str) -> str:
        value = self._data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def raw(self, name: str) -> str:
        """Unstripped (passwords: spaces are characters)."""
        value = self._data.get(name)
        return value if isinstance(value, str) else ""

    def all(self, name: str) -> list[str]:
        getall = getattr(self._data, "getall", None)
        values = getall(name, []) if getall else [self._data.get(name)]
        return [v.strip() for v in values if isinstance(v, str) and v.strip()]

    def names(self) -> list[str]:
        return [str(name) for name in self._data]

    def checked(self, name: str) -> bool:
        return self.text(name).lower() in {"1", "on", "true", "yes"}


async def read_form(request: Request[Any, Any, Any]) -> FormValues:
    return FormValues(await request.form())
