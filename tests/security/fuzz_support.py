"""Shared by the security tests: raw form posts (any code point, duplicated or missing
fields), row-count snapshots of every table, and hypothesis strategies for hostile input."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_from_bytes, urlsplit

from hypothesis import strategies as st
from piccolo.querystring import QueryString

from incubator.db.transactions import engine
from tests.conftest import Browser, Run, _data_tables

FORM = "application/x-www-form-urlencoded"
Pairs = list[tuple[str, str]]


def encode_form(pairs: Sequence[tuple[str, str]]) -> bytes:
    """A url-encoded body, byte for byte: lone surrogates go out as their (invalid) UTF-8
    bytes, which httpx's own encoder refuses to send."""

    def part(text: str) -> str:
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{part(name)}={part(value)}" for name, value in pairs).encode("ascii")


def post_raw(
    browser: Browser,
    url: str,
    pairs: Sequence[tuple[str, str]],
    *,
    csrf: bool = True,
    headers: Mapping[str, str] | None = None,
) -> Any:
    body = list(pairs) + ([("_csrf_token", browser.csrf_token())] if csrf else [])
    return browser.client.post(
        url,
        content=encode_form(body),
        headers={"content-type": FORM, **(headers or {})},
        follow_redirects=False,
    )


async def _counts() -> dict[str, int]:
    tables = _data_tables()
    sql = " UNION ALL ".join(
        f"SELECT '{name}' AS name, count(*) AS n FROM \"{name}\""  # noqa: S608 - our names
        for name in tables
    )
    rows = await engine().run_querystring(QueryString(sql))
    return {str(row["name"]): int(row["n"]) for row in rows}


def snapshot(run: Run) -> dict[str, int]:
    """Rows in every table we own, the audit log and the search index included."""
    counts: dict[str, int] = run(_counts())
    return counts


def assert_local(location: str) -> None:
    """A redirect target on this site: no scheme, no host, nothing a browser would drop
    or turn into one (control characters, a backslash)."""
    parts = urlsplit(location)
    assert not parts.scheme, location
    assert not parts.netloc, location
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert not re.search(r"[\x00-\x20\x7f\\]", location.split("?")[0]), location


def delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


# --- hostile values -------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\n\r\nSet-Cookie: x=1",
    "\t",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u05e9\u05dc\u05d5\u05dd",  # RTL mark + Hebrew
    "مرحبا بالعالم",
    "\ufeffbom",
    "\ud800",  # lone high surrogate (sent as raw bytes)
    "x\udfffy",  # lone low surrogate
    "\U0001f984\U0001f469\u200d\U0001f4bb",  # astral plane, ZWJ sequence
    "\U00010348\U0001d54f",
    "e\u0301" * 50,  # combining marks
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '"; DROP TABLE person; --',
    "%00%ff",
    "${7*7}{{7*7}}",
    "../../etc/passwd",
    "=cmd|' /C calc'!A0",
    "0",
    "-1",
    "1.5",
    "9" * 30,
    "2147483648",
    "9223372036854775808",
    "1e309",
    "nan",
    "inf",
    "²",  # a digit to str.isdigit(), not to int()
    "١٢",  # Arabic-Indic digits
    "true",
    "null",
    "[]",
    "2027-02-30",
    "0000-00-00",
    "99999-12-31",
    "2027-13-01",
    "1900-01-01",
    "2999-12-31",
    "x" * 300,
    "y" * 5_000,
    "é" * 30_000,
]

text = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=60),  # any code point, lone surrogates included
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=30),
    st.builds(
        lambda s, n: s * n,
        st.sampled_from(["a", "é", "\U0001f984", "\x00"]),
        st.integers(1, 25_000),
    ),
)

numberish = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def valid_or(valid: st.SearchStrategy[str], weight_valid: int = 1) -> st.SearchStrategy[str]:
    """Mostly hostile, sometimes valid, so that both the refusal and the success paths run."""
    return st.one_of(*([valid] * weight_valid), text)


@st.composite
def form(draw: st.DrawFn, fields: Mapping[str, st.SearchStrategy[str]]) -> Pairs:
    """The fields in any order, each missing, once, or repeated; sometimes junk fields."""
    pairs: Pairs = []
    for name, values in fields.items():
        for _ in range(draw(st.sampled_from([1, 1, 1, 1, 0, 2]))):
            pairs.append((name, draw(values)))
    if draw(st.integers(0, 5)) == 0:
        pairs.append((draw(text), draw(text)))
    return draw(st.permutations(pairs)) if len(pairs) > 1 else pairs


def first(pairs: Pairs, name: str) -> str:
    """The value a form reader sees for a field (the first one), or empty."""
    return next((value for key, value in pairs if key == name), "")
