"""/pipeline for everyone (common knowledge) and /api/v1/pipeline for scripts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Stream, Template

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.accounts.tables import Department
from incubator.challenges.tables import Challenge
from incubator.gates.queries import attention_rounds
from incubator.ideas.stages import stage_names
from incubator.pipeline import charts, exports, queries
from incubator.pipeline import people as people_analytics
from incubator.web.api import QueryId, error_responses
from incubator.web.auth import requires_role
from incubator.web.rendering import render

ActorRequest = Request[Actor, Any, Any]


def _filters(
    challenge_id: int | None, department_id: int | None, period: str, stalled_days: int
) -> queries.Filters:
    return queries.Filters(
        challenge_id=challenge_id,
        department_id=department_id,
        period_days=queries.PERIODS.get(period),
        stalled_days=min(max(stalled_days, 1), 365),
    )


class PipelineDashboardController(Controller):
    @get("/pipeline", name="pipeline_dashboard", include_in_schema=False)
    async def dashboard(
        self,
        request: ActorRequest,
        challenge_id: QueryId = None,
        department_id: QueryId = None,
        period: FromQuery[str] = "",
        stalled_days: FromQuery[int] = queries.DEFAULT_STALLED_DAYS,
    ) -> Template:
        filters = _filters(challenge_id, department_id, period, stalled_days)
        now = datetime.now(UTC)
        snapshot = await queries.cached_dashboard(filters)
        figures = snapshot.figures
        context = {
            **figures,
            "figures_as_of": snapshot.computed_at,
            "figures_outdated": snapshot.outdated,
            "funnel_bars": charts.funnel_bars(figures["funnel"]),
            "columns": charts.throughput_columns(figures["throughput"]),
            "attention": await attention_rounds(now, per_page=20),
            "filters": filters,
            "period": period if period in queries.PERIODS else "",
            "challenges": await Challenge.select(Challenge.id, Challenge.title)
            .order_by(Challenge.id, ascending=False)
            .limit(100)
            .run(),
            "departments": await Department.select(Department.id, Department.name)
            .order_by(Department.name)
            .run(),
            "stage_names": stage_names(),
        }
        return render(request, "pipeline/dashboard.html.jinja2", context, block="dashboard")

    @get(
        "/api/v1/pipeline",
        summary="The pipeline dashboard's figures",
        tags=["pipeline"],
        responses=error_responses(401),
    )
    async def api(
        self,
        request: ActorRequest,
        challenge_id: QueryId = None,
        department_id: QueryId = None,
        period: FromQuery[str] = "",
        stalled_days: FromQuery[int] = queries.DEFAULT_STALLED_DAYS,
    ) -> dict[str, Any]:
        snapshot = await queries.cached_dashboard(
            _filters(challenge_id, department_id, period, stalled_days)
        )
        stalled = snapshot.figures["stalled"]
        return {
            **snapshot.figures,
            "stalled": {
                **stalled,
                "ideas": [
                    {k: v for k, v in item.items() if k != "total"} for item in stalled["ideas"]
                ],
            },
            "computed_at": snapshot.computed_at.isoformat(),
            "outdated": snapshot.outdated,
        }


def _stream(content: Any, filename: str) -> Stream:
    return Stream(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class LeadershipController(Controller):
    """People analytics and exports: reserved to leadership."""

    guards = [requires_role(Role.LEADERSHIP.value)]

    @get("/pipeline.csv", name="pipeline_csv", include_in_schema=False)
    async def ideas_export(self) -> Stream:
        return _stream(exports.ideas_csv(), "incubator-ideas.csv")

    @get("/pipeline/rounds.csv", name="rounds_csv", include_in_schema=False)
    async def rounds_export(self) -> Stream:
        return _stream(exports.rounds_csv(), "incubator-rounds.csv")

    @get("/pipeline/votes.csv", name="votes_csv", include_in_schema=False)
    async def votes_export(self) -> Stream:
        return _stream(exports.votes_csv(), "incubator-votes.csv")


class PeopleAnalyticsController(Controller):
    guards = [requires_role(Role.LEADERSHIP.value)]

    @get("/pipeline/people", name="pipeline_people")
    async def people(self, request: ActorRequest) -> Template:
        context = {
            "participation": await people_analytics.participation(),
            "cross": await people_analytics.cross_functional_share(),
            "connectors": await people_analytics.connectors(),
            "mavens": await people_analytics.mavens(),
        }
        return render(request, "pipeline/people.html.jinja2", context)
