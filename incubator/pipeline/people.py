"""People analytics for leadership: who takes part, which teams span departments, who
connects departments, and whose reviews the company trusts. Aggregated in SQL; only the
collaboration graph (bounded) is read into Python for networkx."""

from __future__ import annotations

from typing import Any

import networkx as nx
from piccolo.querystring import QueryString

from incubator.db.transactions import engine

MAX_EDGES = 50_000
SAMPLE_ABOVE = 400  # betweenness on a sample of sources for large graphs
TOP = 10
MAVENS_PER_SKILL = 3
SKILL_DOMAINS = 8


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await engine().run_querystring(QueryString(sql, *args))]


async def participation() -> list[dict[str, Any]]:
    """Per department: active people, and how many of them posted, supported, voted or
    are on a team (counts, then shares)."""
    rows = await _rows(
        "SELECT d.id AS id, d.name AS name, "
        "(SELECT count(*) FROM person p WHERE p.department = d.id AND p.is_active) AS people, "
        "(SELECT count(*) FROM person p WHERE p.department = d.id AND ("
        "  EXISTS (SELECT 1 FROM idea i WHERE i.author = p.id) OR "
        "  EXISTS (SELECT 1 FROM challenge c WHERE c.author = p.id))) AS posted, "
        "(SELECT count(DISTINCT s.person) FROM support s JOIN person p ON p.id = s.person "
        "  WHERE p.department = d.id) AS supported, "
        "(SELECT count(DISTINCT v.voter) FROM vote v JOIN person p ON p.id = v.voter "
        "  WHERE p.department = d.id) AS voted, "
        "(SELECT count(DISTINCT t.person) FROM team_member t JOIN person p ON p.id = t.person "
        "  WHERE p.department = d.id) AS on_team "
        "FROM department d ORDER BY d.name"
    )
    for row in rows:
        people = int(row["people"]) or 1
        for measure in ("posted", "supported", "voted", "on_team"):
            row[f"{measure}_share"] = round(int(row[measure]) / people, 3)
    return rows


async def cross_functional_share() -> dict[str, Any]:
    rows = await _rows(
        "SELECT count(*) AS teams, SUM(CASE WHEN spans >= 2 THEN 1 ELSE 0 END) AS cross_teams "
        "FROM (SELECT t.idea, count(DISTINCT p.department) AS spans FROM team_member t "
        "JOIN person p ON p.id = t.person JOIN idea i ON i.id = t.idea "
        "WHERE i.merged_into IS NULL GROUP BY t.idea) AS spans_per_team"
    )
    teams, cross = int(rows[0]["teams"] or 0), int(rows[0]["cross_teams"] or 0)
    return {
        "teams": teams,
        "cross_functional": cross,
        "share": round(cross / teams, 3) if teams else 0.0,
    }


async def connectors() -> list[dict[str, Any]]:
    """People who sit between departments: betweenness centrality over the graph where two
    people are linked when they share a team or discuss the same idea."""
    edges = await _rows(
        "SELECT a.person AS a, b.person AS b FROM team_member a JOIN team_member b "
        "ON a.idea = b.idea AND a.person < b.person "
        "UNION SELECT a.author AS a, b.author AS b FROM comment a JOIN comment b "
        "ON a.subject_type = b.subject_type AND a.subject_id = b.subject_id "
        "AND a.author < b.author "
        f"LIMIT {MAX_EDGES}"
    )
    graph: nx.Graph[int] = nx.Graph()
    graph.add_edges_from((row["a"], row["b"]) for row in edges)
    sample = SAMPLE_ABOVE if graph.number_of_nodes() > SAMPLE_ABOVE else None
    centrality = (
        nx.betweenness_centrality(graph, k=sample, seed=7, normalized=True) if edges else {}
    )
    ranked = sorted(centrality.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    wanted = {person for person, _score in ranked}
    for person, _score in ranked:
        wanted.update(graph.neighbors(person))
    # Only the people shown and their neighbours, in one query (always one, for a
    # constant count).
    people = {
        row["id"]: row
        for row in await _rows(
            "SELECT p.id AS id, p.name AS name, p.department AS department_id, "
            "d.name AS department FROM person p LEFT JOIN department d ON d.id = p.department "
            "WHERE p.id IN ({})".replace(
                "{}", ", ".join(str(int(person)) for person in sorted(wanted)) or "0"
            )
        )
    }
    result = []
    for person_id, score in ranked:
        reached = {people[n]["department_id"] for n in graph.neighbors(person_id) if n in people}
        reached.add(people[person_id]["department_id"])
        reached.discard(None)
        result.append(
            {
                "id": person_id,
                "name": people[person_id]["name"],
                "department": people[person_id]["department"],
                "betweenness": round(score, 3),
                "departments_reached": len(reached),
            }
        )
    return result


async def mavens() -> list[dict[str, Any]]:
    """Per skill domain (an idea's tag), the reviewers with the most votes in decided rounds,
    and how often their vote matched the outcome (go → passed, kill → killed, hold →
    back to the team)."""
    rows = await _rows(
        "SELECT tag, voter, name, votes, agreed FROM ("
        "SELECT it.tag AS tag, v.voter AS voter, p.name AS name, count(*) AS votes, "
        "SUM(CASE WHEN (v.decision = 'go' AND r.status = 'passed') "
        "  OR (v.decision = 'kill' AND r.status = 'killed') "
        "  OR (v.decision = 'hold' AND r.status = 'recycled') THEN 1 ELSE 0 END) AS agreed, "
        "ROW_NUMBER() OVER (PARTITION BY it.tag ORDER BY count(*) DESC, v.voter) AS rank, "
        "SUM(count(*)) OVER (PARTITION BY it.tag) AS domain_votes "
        "FROM vote v JOIN gate_round r ON r.id = v.round JOIN idea_tag it ON it.idea = r.idea "
        "JOIN person p ON p.id = v.voter WHERE r.status IN ('passed', 'killed', 'recycled') "
        "GROUP BY it.tag, v.voter, p.name) AS ranked "
        f"WHERE rank <= {MAVENS_PER_SKILL} ORDER BY domain_votes DESC, tag, rank"
    )
    domains: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["tag"] not in domains and len(domains) == SKILL_DOMAINS:
            continue
        votes = int(row["votes"])
        domains.setdefault(row["tag"], []).append(
            {
                "id": row["voter"],
                "name": row["name"],
                "votes": votes,
                "agreement": round(int(row["agreed"] or 0) / votes, 2) if votes else 0.0,
            }
        )
    return [{"skill": skill, "reviewers": reviewers} for skill, reviewers in domains.items()]
