"""The decision rule of a gate round, as DESIGN states it, with no database in sight.

With votes ≥ quorum: go share ≥ threshold and weighted mean score ≥ 3.0 → passed; kill
share > 50% → killed; otherwise → recycled. Fewer votes than the quorum decide nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PASS_MEAN = 3.0


@dataclass(frozen=True)
class Tally:
    votes: int
    counts: dict[str, int]
    go_share: float
    kill_share: float
    mean_scores: dict[str, float]
    weighted_mean: float
    outcome: str | None = None
    rationales: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "votes": self.votes,
            "counts": self.counts,
            "go_share": self.go_share,
            "kill_share": self.kill_share,
            "mean_scores": self.mean_scores,
            "weighted_mean": self.weighted_mean,
            "outcome": self.outcome,
            "rationales": self.rationales,
        }


def tally(
    votes: Sequence[dict[str, Any]],
    criteria: Sequence[dict[str, Any]],
    *,
    quorum: int,
    threshold: float,
) -> Tally:
    """`votes`: dicts with decision, scores ({criterion key: 1..5}) and rationale."""
    count = len(votes)
    counts = dict.fromkeys(("go", "hold", "kill"), 0)
    for vote in votes:
        counts[vote["decision"]] = counts.get(vote["decision"], 0) + 1
    mean_scores = {
        criterion["key"]: (
            sum(int(vote["scores"].get(criterion["key"], 0)) for vote in votes) / count
            if count
            else 0.0
        )
        for criterion in criteria
    }
    total_weight = sum(float(criterion["weight"]) for criterion in criteria) or 1.0
    weighted_mean = (
        sum(mean_scores[criterion["key"]] * float(criterion["weight"]) for criterion in criteria)
        / total_weight
    )
    go_share = counts["go"] / count if count else 0.0
    kill_share = counts["kill"] / count if count else 0.0
    outcome = None
    if count >= quorum:
        if go_share >= threshold and weighted_mean >= PASS_MEAN:
            outcome = "passed"
        elif kill_share > 0.5:
            outcome = "killed"
        else:
            outcome = "recycled"
    rationales = [
        {"decision": vote["decision"], "rationale": vote["rationale"]}
        for vote in votes
        if vote.get("rationale")
    ]
    return Tally(
        votes=count,
        counts=counts,
        go_share=round(go_share, 4),
        kill_share=round(kill_share, 4),
        mean_scores={key: round(value, 2) for key, value in mean_scores.items()},
        weighted_mean=round(weighted_mean, 2),
        outcome=outcome,
        rationales=rationales,
    )
