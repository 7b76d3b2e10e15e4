"""The dashboard over the demo company, against values computed by hand from the demo's
script (incubator/demo.py, _JOURNEYS and _seed_gates):

- 16 ideas. Positions 0, 3, 6 and 1 pass 4, 3, 2 and 1 gates; 2 is stopped at Spark;
  4, 5 and 7 stay in Spark. So now: Spark 12 (one of them stopped), Explore 1,
  Prototype 1, Pilot 1, Scale 1; reached: 16, 4, 3, 2, 1.
- Rounds decided at the Spark gate: 4 passed, 1 killed, 1 recycled, 1 without quorum:
  7 decided, 4 passed.
- Time in Spark: an idea at position p is proposed 9 + p days before its first round
  opens, and the third vote decides it 18 hours later: p = 0, 1, 3, 6 give 9.75, 10.75,
  12.75 and 15.75 days; median (rank (4 − 1) // 2 = 1) 10.75 → 10.8, 90th percentile
  (rank 27 // 10 = 2) 12.75 → 12.8.
- Later stages: the next round opens 12 days after the previous one, minus the 18 hours
  the previous decision took, plus 18 hours again: exactly 12.0 days each.
- Stalled (active, no stage change for 30 days, no round open): positions 1, 3, 6 and 7.
  Position 0 graduated, 2 was stopped, 4 and 5 have a round open, the rest are new.
"""

from __future__ import annotations

from incubator.demo import seed_demo
from incubator.pipeline.queries import Filters, dashboard
from tests.conftest import Run


def test_the_dashboard_over_the_demo_company(run: Run) -> None:
    run(seed_demo())
    figures = run(dashboard(Filters()))
    assert [(r["stage"], r["now"], r["reached"], r["stopped"]) for r in figures["funnel"]] == [
        ("spark", 12, 16, 1),
        ("explore", 1, 4, 0),
        ("prototype", 1, 3, 0),
        ("pilot", 1, 2, 0),
        ("scale", 1, 1, 0),
    ]
    spark_gate = figures["conversion"][0]
    assert (spark_gate["decided"], spark_gate["passed"], spark_gate["killed"]) == (7, 4, 1)
    assert [g["rate"] for g in figures["conversion"][1:]] == [1.0, 1.0, 1.0]
    times = {
        row["stage"]: (row["count"], row["median"], row["p90"]) for row in figures["time_in_stage"]
    }
    assert times == {
        "spark": (4, 10.8, 12.8),
        "explore": (3, 12.0, 12.0),
        "prototype": (2, 12.0, 12.0),
        "pilot": (1, 12.0, 12.0),
    }
    assert figures["stalled"]["total"] == 4
    assert sorted(idea["stage"] for idea in figures["stalled"]["ideas"]) == [
        "explore",
        "pilot",
        "prototype",
        "spark",
    ]
