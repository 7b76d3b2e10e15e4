"""People analytics and exports: leadership only; CSV that spreadsheets open safely."""

from __future__ import annotations

import csv
import io

import pytest

from incubator.pipeline.exports import neutralise
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count, text_of
from tests.gates.helpers import idea_with_team
from tests.pipeline.test_dashboard import build

RESTRICTED = ["/pipeline/people", "/pipeline.csv", "/pipeline/rounds.csv", "/pipeline/votes.csv"]


@pytest.mark.parametrize("path", RESTRICTED)
@pytest.mark.parametrize("persona", ["ada", "cleo", "eve"])
def test_members_get_403(
    browser: Browser, personas: dict[str, Persona], path: str, persona: str
) -> None:
    browser.login(personas[persona].email)
    assert browser.get(path).status_code == 403


@pytest.mark.parametrize("path", RESTRICTED)
def test_leadership_gets_them(
    browser: Browser, personas: dict[str, Persona], run: Run, path: str
) -> None:
    run(build(personas))
    browser.login(personas["dan"].email)
    response = browser.get(path)
    assert response.status_code == 200
    if path.endswith(".csv"):
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]


def _parse(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_ideas_csv_round_trips_with_accents_and_no_formulas(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(
        idea_with_team(
            personas["ada"].id, personas["bob"].id, title="Idée « très » accentuée — été"
        )
    )
    run(factories.idea(personas["ada"].id, title='=HYPERLINK("http://evil.example","x")'))
    run(factories.idea(personas["ada"].id, title="+1 pour la réunion", summary="@everyone"))
    browser.login(personas["dan"].email)
    response = browser.get("/pipeline.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # spreadsheets read UTF-8 with a BOM
    rows = _parse(response.content)
    titles = [row["title"] for row in rows]
    assert "Idée « très » accentuée — été" in titles
    assert '\'=HYPERLINK("http://evil.example","x")' in titles
    assert "'+1 pour la réunion" in titles
    accented = next(row for row in rows if row["title"].startswith("Idée"))
    assert accented["team_size"] == "2"
    assert set(accented["team_departments"].split(",")) == {"Marketing", "Opérations"}
    assert accented["stage"] == "spark"


def test_rounds_and_votes_csv_leave_voters_unnamed(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(build(personas))
    browser.login(personas["dan"].email)
    rounds = _parse(browser.get("/pipeline/rounds.csv").content)
    assert len(rounds) == 5
    assert {row["status"] for row in rounds} == {"passed", "killed"}
    votes = _parse(browser.get("/pipeline/votes.csv").content)
    assert len(votes) == 15
    assert "voter" not in votes[0]
    assert all(row["voter_department"] for row in votes)


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("plain") == "plain"


def test_people_analytics_explain_their_measures(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(build(personas))
    browser.login(personas["dan"].email)
    page = text_of(browser.get("/pipeline/people").text)
    for words in (
        "Participation by department",
        "cross-functional",
        "Connectors",
        "betweenness centrality",
        "Mavens",
    ):
        assert words in page
    assert "Ada Author" in page  # a connector: on a team with Bob across departments


def test_people_analytics_cost_the_same_queries_whatever_the_data(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["dan"].email)
    small = query_count(browser.get("/pipeline/people"))
    run(build(personas))
    browser.get("/")  # what was built notified dan: this page reads him afresh, once
    assert query_count(browser.get("/pipeline/people")) == small
