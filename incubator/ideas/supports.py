"""New supports, written together: the presses that arrive while one batch is in the
database go in the next, in one statement (PostgreSQL) or one transaction (SQLite).

Under load a worker holds many presses at once; writing each alone costs the database a
round trip, a commit and a wake-up apiece. A batch pays those once (a group commit, as
PostgreSQL itself does for WAL flushes). Nothing waits for a timer: a press that finds
no batch in the database starts one at once, so a quiet portal answers as before.

Every batch locks its ideas in id order before it touches their supports, as the
withdrawal does (services.toggle_support), so two batches, or a batch and a withdrawal,
never wait on each other in a circle."""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from incubator.db.engines import recording, recording_queries
from incubator.db.transactions import in_transaction, is_sqlite, transaction
from incubator.ideas.tables import Idea

# The most presses one batch carries; more wait for the next.
BATCH_LIMIT = 64

# PostgreSQL: one statement in a function of a migration (ideas_2026_12_06t19_00), which
# keeps its plan: it locks the live ideas in id order, adds each (person, idea) that is not
# the author's and not there yet, moves each counter by what was added to it, and says
# which were added, at what count. The supports and the counters move together.
_ADD_SUPPORTS_POSTGRES = "SELECT supporter, supported, supports FROM add_supports({}, {}, {})"

# SQLite has no writing CTE: each press's two changes, all in one IMMEDIATE transaction
# (which is the write lock: nothing else writes meanwhile).
_ADD_SUPPORT_SQLITE = """
INSERT INTO support (person, idea, created_at)
SELECT {}, id, {} FROM idea WHERE id = {} AND merged_into IS NULL AND author <> {}
ON CONFLICT DO NOTHING
RETURNING idea
"""

Press = tuple[int, int]  # (person id, idea id)


async def _write(presses: list[Press]) -> dict[Press, int]:
    """Add the presses' supports; for each one added, its idea's count after the batch."""
    now = datetime.now(UTC)
    if not is_sqlite():
        people = [person for person, _ in presses]
        ideas = [idea for _, idea in presses]
        rows = await Idea.raw(_ADD_SUPPORTS_POSTGRES, people, ideas, now).run()
        return {(row["supporter"], row["supported"]): row["supports"] for row in rows}
    added: list[Press] = []
    counts: dict[int, int] = {}
    async with transaction():
        for person, idea in presses:
            if await Idea.raw(_ADD_SUPPORT_SQLITE, person, now, idea, person).run():
                counted = await (
                    Idea.update({Idea.support_count: Idea.support_count + 1})
                    .where(Idea.id == idea)
                    .returning(Idea.support_count)
                    .run()
                )
                added.append((person, idea))
                counts[idea] = int(counted[0]["support_count"])
    return {(person, idea): counts[idea] for person, idea in added}


@dataclass
class _Waiting:
    answer: asyncio.Future[int | None]
    # The SQL collected for the request that pressed: the batch counts as its statement.
    recorded: list[str] | None


@dataclass
class _Batcher:
    """One event loop's presses waiting for a batch, and the task writing them."""

    waiting: dict[Press, _Waiting] = field(default_factory=dict)
    writer: asyncio.Task[None] | None = None

    async def add(self, press: Press) -> int | None:
        while (earlier := self.waiting.get(press)) is not None:
            # The same person pressed on the same idea again before the first press was
            # written: this one waits for that answer, then asks again (a withdrawal).
            await asyncio.wait([earlier.answer])
        loop = asyncio.get_running_loop()
        waiting = self.waiting[press] = _Waiting(loop.create_future(), recording())
        if self.writer is None:
            # In a context of its own: not inside the transaction of whoever pressed first.
            self.writer = loop.create_task(self._drain(), context=contextvars.Context())
        # Shielded: a request that goes away leaves its press in the batch, answered.
        return await asyncio.shield(waiting.answer)

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch = dict(list(self.waiting.items())[:BATCH_LIMIT])
                for press in batch:
                    del self.waiting[press]
                await self._settle(batch)
        finally:
            self.writer = None

    async def _settle(self, batch: dict[Press, _Waiting]) -> None:
        try:
            with recording_queries() as ran:
                counts = await _write(list(batch))
        except Exception as error:
            if len(batch) > 1:
                # One bad press must not fail the others: each alone, to find it.
                for press, waiting in batch.items():
                    await self._settle({press: waiting})
                return
            for waiting in batch.values():
                waiting.answer.set_exception(error)
            return
        for press, waiting in batch.items():
            if waiting.recorded is not None:
                waiting.recorded.extend(ran)
            waiting.answer.set_result(counts.get(press))


_batchers: WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = WeakKeyDictionary()


async def add_support(person_id: int, idea_id: int) -> int | None:
    """Add this person's support to a live idea of someone else's; the idea's count once
    it is in, or None when nothing was added (already supported, their own idea, merged
    or missing)."""
    press = (person_id, idea_id)
    if in_transaction():
        # Written in the caller's transaction: a batch would wait for locks it holds.
        return (await _write([press])).get(press)
    loop = asyncio.get_running_loop()
    if (batcher := _batchers.get(loop)) is None:
        batcher = _batchers[loop] = _Batcher()
    return await batcher.add(press)
