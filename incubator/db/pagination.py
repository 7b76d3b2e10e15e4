"""Pages of long lists.

Numbered pages (`?page=N`) use OFFSET, which is cheap near the start. Following "Next" or
"Previous" uses keyset pagination instead (`?after=` / `?before=` a cursor: the sort key
of the last or first row shown), so page 1,000 costs what page 1 costs. Totals are
counted only up to a cap: past it the page says "more than 1,000", which keeps the count
as cheap at 100,000 rows as at 100.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, Protocol, Self, TypeVar

from piccolo.query import OrderByRaw, WhereRaw
from piccolo.querystring import QueryString

from incubator.db.transactions import engine
from incubator.settings import get_settings

T = TypeVar("T")
Q = TypeVar("Q", bound="Refinable")

DEFAULT_PER_PAGE = 20
MAX_PAGE = 10_000
COUNT_CAP = 1_000


def clamp_page(page: int | None) -> int:
    return min(max(page or 1, 1), MAX_PAGE)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    # The total stopped at COUNT_CAP: there are at least this many.
    total_capped: bool = False
    # Keyset cursors for the neighbouring pages (None: no such page, or not keyset).
    next_after: str | None = None
    prev_before: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page), self.page)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


_CURSOR_PART = re.compile(r"-?[0-9]{1,10}")
_INT4_MAX = 2**31 - 1


def parse_cursor(raw: str | None, width: int) -> tuple[int, ...] | None:
    """A cursor is the sort key's integers joined by dots; anything else is ignored,
    including digits other than ASCII ones ("²") and numbers no 32-bit column holds."""
    if not raw:
        return None
    parts = raw.split(".")
    if len(parts) != width or not all(_CURSOR_PART.fullmatch(part) for part in parts):
        return None
    key = tuple(int(part) for part in parts)
    return key if all(abs(value) <= _INT4_MAX for value in key) else None


def format_cursor(key: Sequence[int]) -> str:
    return ".".join(str(int(value)) for value in key)


class Refinable(Protocol):
    """What paging needs of a query: Piccolo's Select, or a CompiledSelect."""

    def where(self, *where: Any) -> Self: ...
    def order_by(self, *columns: Any, ascending: bool = True) -> Self: ...
    def limit(self, number: int) -> Self: ...
    def offset(self, number: int) -> Self: ...
    async def run(self) -> list[dict[str, Any]]: ...

    @property
    def querystrings(self) -> Sequence[QueryString]: ...


class SelectSql:
    """The SQL of a Piccolo select, compiled the first time it is used and kept. Not at
    import: compiling looks up the engine, which reads the settings, and a module import
    must not pick the database before a command or a test has said which one."""

    def __init__(self, select: Callable[[], Any]) -> None:
        self._select = select
        self._sql: str | None = None

    def __str__(self) -> str:
        if self._sql is None:
            self._sql = str(self._select().querystrings[0])
        return self._sql


class CompiledSelect:
    """A SELECT whose columns and joins were compiled to SQL once, refined per request
    with Piccolo conditions. Piccolo rebuilds a query's joins every time it runs, which
    costs more than running it: hot pages compile theirs once."""

    def __init__(self, base_sql: str | SelectSql) -> None:
        self._base = base_sql
        self._conditions: list[QueryString] = []
        self._order: list[str] = []
        self._limit: int | None = None
        self._offset = 0
        self._page_columns: QueryString | None = None

    def with_page_columns(self, columns: QueryString) -> Self:
        """Columns computed on the rows of the cut page only, in the same statement (where
        `page.<name>` is a row's column): what a page shows beside its rows, for the
        price of no extra round trip. The rows come back in no particular order."""
        self._page_columns = columns
        return self

    def where(self, *where: Any) -> Self:
        self._conditions.extend(condition.querystring for condition in where)
        return self

    def order_by(self, *columns: Any, ascending: bool = True) -> Self:
        direction = " ASC" if ascending else " DESC"
        self._order.extend(column.template + direction for column in columns)
        return self

    def limit(self, number: int) -> Self:
        self._limit = number
        return self

    def offset(self, number: int) -> Self:
        self._offset = number
        return self

    @property
    def querystrings(self) -> Sequence[QueryString]:
        sql = str(self._base)
        if self._conditions:
            sql += " WHERE " + " AND ".join("{}" for _ in self._conditions)
        if self._order:
            sql += " ORDER BY " + ", ".join(self._order)
        if self._limit is not None:
            sql += f" LIMIT {int(self._limit)} OFFSET {int(self._offset)}"
        cut = QueryString(sql, *self._conditions)
        if self._page_columns is None:
            return [cut]
        return [QueryString("SELECT page.*, {} FROM ({}) AS page", self._page_columns, cut)]

    async def run(self) -> list[dict[str, Any]]:
        return [dict(row) for row in await engine().run_querystring(self.querystrings[0])]


@dataclass(frozen=True)
class KeysetOrder:
    """A descending sort on SQL expressions that end in a unique column, and how to read
    that sort key back from a row."""

    expressions: tuple[str, ...]
    key_of: Callable[[dict[str, Any]], tuple[int, ...]]

    def _row(self) -> str:
        return "(" + ", ".join(self.expressions) + ")"

    def ordered(self, query: Q, *, ascending: bool = False) -> Q:
        return query.order_by(*(OrderByRaw(e) for e in self.expressions), ascending=ascending)

    def beyond(self, cursor: tuple[int, ...], *, backwards: bool) -> WhereRaw:
        placeholders = ", ".join("{}" for _ in cursor)
        operator = ">" if backwards else "<"
        return WhereRaw(f"{self._row()} {operator} ({placeholders})", *cursor)


async def keyset_page(
    select: Callable[[], Refinable],
    order: KeysetOrder,
    *,
    page: int,
    per_page: int,
    after: str | None,
    before: str | None,
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """One page of rows and the cursors of the pages after and before it.

    With a cursor the rows come by keyset; without, by OFFSET from the page number.
    `select` builds a fresh query each time (Piccolo's queries change as they are refined);
    its rows are put in order here, so it may wrap the page (`with_page_columns`).
    """
    width = len(order.expressions)
    after_key, before_key = parse_cursor(after, width), parse_cursor(before, width)
    if before_key is not None and page > 1:
        rows = await (
            order.ordered(select().where(order.beyond(before_key, backwards=True)), ascending=True)
            .limit(per_page)
            .run()
        )
        rows.sort(key=order.key_of, reverse=True)
        more_after = True
    else:
        if after_key is not None:
            query = select().where(order.beyond(after_key, backwards=False))
        else:
            query = select().offset((page - 1) * per_page)
        fetched = await order.ordered(query).limit(per_page + 1).run()
        fetched.sort(key=order.key_of, reverse=True)
        more_after = len(fetched) > per_page
        rows = fetched[:per_page]
    if not rows:
        return [], None, None
    next_after = format_cursor(order.key_of(rows[-1])) if more_after else None
    prev_before = format_cursor(order.key_of(rows[0])) if page > 1 else None
    return rows, next_after, prev_before


class LongLists:
    """Lists lately found to hold more than COUNT_CAP rows, by their count's SQL.

    Past the cap a page says only "more than 1,000", and finding that out walks 1,001
    rows: on PostgreSQL, half of what the board's one statement costs the database. A list
    that long stays that long, so for `seconds` the verdict is reused and the statement
    carries the capped total as a constant. Each worker keeps its own: for those seconds
    at most, a list that has just dropped to the cap or below may still read "1,000+"
    (merging ideas away is the only way the board shrinks). A list within the cap is
    counted every time."""

    def __init__(self, seconds: float, capacity: int = 1024) -> None:
        self.seconds = seconds
        self._capacity = capacity
        self._until: dict[str, float] = {}

    def known(self, key: str) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if until > time.monotonic():
            return True
        del self._until[key]
        return False

    def remember(self, key: str) -> None:
        if self.seconds <= 0:
            return
        self._until.pop(key, None)
        if len(self._until) >= self._capacity:
            del self._until[next(iter(self._until))]  # the verdict kept longest
        self._until[key] = time.monotonic() + self.seconds


@cache
def long_lists() -> LongLists:
    return LongLists(get_settings().long_list_seconds)


@dataclass(frozen=True)
class CappedCount:
    """A list's count up to COUNT_CAP + 1 as a scalar SQL `expression`, for a statement to
    carry the count of its list along; `read` turns the value it returned into the total
    and whether it passed the cap."""

    expression: QueryString
    key: str | None
    lists: LongLists

    def read(self, value: int) -> tuple[int, bool]:
        total, passed = capped(value)
        if passed and self.key is not None:
            self.lists.remember(self.key)
        return total, passed


def capped_count_of(query: Refinable, lists: LongLists | None = None) -> CappedCount:
    """How to count the query's rows up to the cap (see CappedCount, LongLists).

    A long list is first probed for a row past the cap, which stops at that row; only a
    list within the cap is counted. Counting through a LIMIT passes each row through a
    subquery: on SQLite, for the 1,001 ideas of the board, three times the probe's cost."""
    lists = lists or long_lists()
    probe = query.limit(1).offset(COUNT_CAP).querystrings[0]
    key = None
    if lists.seconds > 0:
        key = repr(probe.compile_string(engine_type=engine().engine_type))
        if lists.known(key):
            return CappedCount(QueryString(str(COUNT_CAP + 1)), None, lists)
    within_cap = query.limit(COUNT_CAP + 1).offset(0).querystrings[0]
    expression = QueryString(
        "(CASE WHEN EXISTS ({}) THEN {} ELSE (SELECT count(*) FROM ({}) AS capped) END)",
        probe,
        COUNT_CAP + 1,
        within_cap,
    )
    return CappedCount(expression, key, lists)


def capped(count: int) -> tuple[int, bool]:
    """A count made by `capped_count_of`, and whether it passed the cap."""
    return (COUNT_CAP, True) if count > COUNT_CAP else (int(count), False)


async def capped_count(query: Refinable, lists: LongLists | None = None) -> tuple[int, bool]:
    """How many rows the query selects, counting no further than COUNT_CAP."""
    count = capped_count_of(query, lists)
    rows = await engine().run_querystring(QueryString("SELECT {} AS n", count.expression))
    return count.read(rows[0]["n"])
