"""How fast is /pipeline at company scale? Seeds a fresh database with N ideas (bulk
inserts), runs the real app, and times the dashboard page.

    .venv/bin/python bench/pipeline_scale.py                 # SQLite, 20,000 ideas
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pipeline_scale.py

The PostgreSQL database must exist and be empty; SQLite uses a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="incubator-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'bench.db'}")
os.environ.setdefault("INCUBATOR_DATA_DIR", str(_TMP / "data"))
os.environ["INCUBATOR_SCHEDULER"] = "off"
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)

from litestar.testing import TestClient  # noqa: E402

from incubator.accounts.passwords import hash_password  # noqa: E402
from incubator.accounts.tables import Department, Person  # noqa: E402
from incubator.app import create_app  # noqa: E402
from incubator.db.migrate import migrate  # noqa: E402
from incubator.gates.pipelines import ensure_default_pipeline  # noqa: E402
from incubator.gates.tables import GateRound  # noqa: E402
from incubator.ideas.stages import STAGE_KEYS  # noqa: E402
from incubator.ideas.tables import Idea  # noqa: E402

BATCH = 1000


async def seed(ideas: int, people: int, rng: random.Random) -> None:
    await migrate()
    await ensure_default_pipeline()
    await Department.insert(*(Department(name=f"Department {n}") for n in range(12))).run()
    await Person.insert(
        *(
            Person(
                email=f"p{n}@bench.example",
                name=f"Person {n}",
                password_hash="x",
                department=1 + n % 12,
            )
            for n in range(people)
        )
    ).run()
    now = datetime.now(UTC)
    for start in range(0, ideas, BATCH):
        rows = []
        for n in range(start, min(ideas, start + BATCH)):
            created = now - timedelta(days=rng.uniform(0, 400))
            stage = rng.choices(STAGE_KEYS, weights=(60, 20, 10, 6, 4))[0]
            rows.append(
                Idea(
                    title=f"Idea {n}",
                    summary="A bench idea.",
                    author=1 + rng.randrange(people),
                    stage=stage,
                    status=rng.choices(["active", "killed"], weights=(9, 1))[0],
                    created_at=created,
                    stage_entered_at=created + timedelta(days=rng.uniform(0, 30)),
                    support_count=int(rng.paretovariate(1.5)),
                )
            )
        await Idea.insert(*rows).run()
    rounds = []
    for idea_id in rng.sample(range(1, ideas + 1), k=ideas // 4):
        opened = now - timedelta(days=rng.uniform(1, 300))
        rounds.append(
            GateRound(
                idea=idea_id,
                number=1,
                from_stage="spark",
                to_stage="explore",
                status=rng.choice(["passed", "recycled", "killed"]),
                quorum=3,
                threshold=0.6,
                window_days=7,
                early_close=True,
                opened_at=opened,
                closes_at=opened + timedelta(days=7),
                decided_at=opened + timedelta(days=rng.uniform(0.1, 7)),
                vote_count=3,
            )
        )
        if len(rounds) == BATCH:
            await GateRound.insert(*rounds).run()
            rounds = []
    if rounds:
        await GateRound.insert(*rounds).run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(seed(args.ideas, args.people, random.Random(42)))
    print(
        f"seeded {args.ideas} ideas in {time.perf_counter() - started:.1f} s "
        f"({os.environ['DATABASE_URL'].split(':', 1)[0]})"
    )
    with TestClient(create_app()) as client:
        # Sign in through the real form with a known password.
        digest = client.blocking_portal.call(hash_password, "bench password")
        client.blocking_portal.call(
            lambda: Person.update({Person.password_hash: digest}).where(Person.id == 1).run()
        )
        csrf = client.get("/login").cookies.get("csrftoken") or client.cookies["csrftoken"]
        client.post(
            "/login",
            data={"email": "p0@bench.example", "password": "bench password", "_csrf_token": csrf},
        )
        timings = []
        for _ in range(args.requests):
            begin = time.perf_counter()
            response = client.get("/pipeline")
            timings.append(time.perf_counter() - begin)
            assert response.status_code == 200, response.status_code
        queries = response.headers.get("x-sql-queries")
        print(
            f"/pipeline: median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms over {args.requests} requests, {queries} queries"
        )


if __name__ == "__main__":
    main()
