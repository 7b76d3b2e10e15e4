"""Tags and skills share one vocabulary (lower-case, single-spaced) so that an idea's tags
can be matched against people's skills."""

from __future__ import annotations

TAG_MAX_LENGTH = 40


def normalize_tag(text: str) -> str:
    return " ".join(text.split()).lower()


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, cleaned and de-duplicated, in the order given."""
    seen: dict[str, None] = {}
    for part in text.split(","):
        if tag := normalize_tag(part):
            seen.setdefault(tag, None)
    return list(seen)
