"""Full-text search over ideas behind one interface: SQLite FTS5 or PostgreSQL tsvector.

Both sides see the same normalised text (lower case, accents removed) and every query
word matches as a prefix, so `idée` finds `idées` and `Idee` finds `idée`. Titles weigh
most, then summaries, then descriptions and tags. The query is reduced to plain words
before it reaches SQL, so no input can break the query syntax.
"""

from __future__ import annotations

import re
import unicodedata

from piccolo.querystring import QueryString

from incubator.db.transactions import engine, is_sqlite

MAX_TERMS = 8
CANDIDATES = 1_000
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents: 'Idée' → 'idee'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def terms(query: str) -> list[str]:
    words = [word for word in _WORD.findall(fold(query)[:500]) if word.strip("_")]
    return [word[:40] for word in words[:MAX_TERMS]]


async def index_idea(idea_id: int, *, title: str, summary: str, body: str) -> None:
    """(Re)write one idea's search document; call it in the transaction that changed it."""
    db = engine()
    if is_sqlite():
        await db.run_querystring(QueryString("DELETE FROM idea_search WHERE rowid = {}", idea_id))
        await db.run_querystring(
            QueryString(
                "INSERT INTO idea_search (rowid, title, summary, body) VALUES ({}, {}, {}, {})",
                idea_id,
                fold(title),
                fold(summary),
                fold(body),
            )
        )
        return
    await db.run_querystring(
        QueryString(
            "INSERT INTO idea_search (idea_id, document) VALUES ({}, "
            "setweight(to_tsvector('simple', {}), 'A') || "
            "setweight(to_tsvector('simple', {}), 'B') || "
            "setweight(to_tsvector('simple', {}), 'C')) "
            "ON CONFLICT (idea_id) DO UPDATE SET document = excluded.document",
            idea_id,
            fold(title),
            fold(summary),
            fold(body),
        )
    )


async def remove_idea(idea_id: int) -> None:
    column = "rowid" if is_sqlite() else "idea_id"
    await engine().run_querystring(
        QueryString(f"DELETE FROM idea_search WHERE {column} = {{}}", idea_id)  # noqa: S608
    )


def _match_expression(words: list[str], *, any_word: bool) -> str:
    if is_sqlite():
        return (" OR " if any_word else " AND ").join(f'"{word}"*' for word in words)
    return (" | " if any_word else " & ").join(f"{word}:*" for word in words)


async def matching_ids(
    query: str,
    *,
    limit: int,
    offset: int = 0,
    any_word: bool = False,
    among: QueryString | None = None,
) -> tuple[list[int], int, bool]:
    """Ids of ideas matching the query, best first; how many match; whether that count
    stopped at CANDIDATES.

    Ranking looks at the newest CANDIDATES matches only, so a word found in half of all
    ideas costs what a rare word costs. `among` restricts the search to the ids a
    sub-select returns (the page's filters; merged ideas are not in the index at all).
    """
    words = terms(query)
    if not words:
        return [], 0, False
    expression = _match_expression(words, any_word=any_word)
    within = "" if among is None else " AND {} IN ({})"
    if is_sqlite():
        source = (
            "SELECT rowid AS id, bm25(idea_search, 10.0, 4.0, 1.0) AS score "
            "FROM idea_search WHERE idea_search MATCH {}"
            + within.format("rowid", "{}")
            + f" ORDER BY rowid DESC LIMIT {CANDIDATES + 1}"
        )
        arguments: list[object] = [expression]
        order = "score ASC, id DESC"
    else:
        source = (
            "SELECT idea_id AS id, ts_rank(document, to_tsquery('simple', {})) AS score "
            "FROM idea_search WHERE document @@ to_tsquery('simple', {})"
            + within.format("idea_id", "{}")
            + f" ORDER BY idea_id DESC LIMIT {CANDIDATES + 1}"
        )
        arguments = [expression, expression]
        order = "score DESC, id DESC"
    if among is not None:
        arguments.append(among)
    page_sql = (
        "SELECT id, count(*) OVER () AS total FROM ({}) AS ranked "  # noqa: S608 - order: a constant
        f"ORDER BY {order} LIMIT {{}} OFFSET {{}}"
    )
    candidates = QueryString(source, *arguments)
    rows = await engine().run_querystring(QueryString(page_sql, candidates, limit, offset))
    if rows:
        total = int(rows[0]["total"])
    elif offset == 0:
        total = 0
    else:
        counted = await engine().run_querystring(
            QueryString("SELECT count(*) AS total FROM ({}) AS ranked", candidates)
        )
        total = int(counted[0]["total"])
    capped = total > CANDIDATES
    return [int(row["id"]) for row in rows], min(total, CANDIDATES), capped
