from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from incubator.accounts import queries as account_queries
from incubator.accounts.identity import Actor
from incubator.challenges import queries as challenge_queries
from incubator.challenges.controllers import challenge_status_names, source_names
from incubator.gates import queries as gate_queries
from incubator.ideas import queries as idea_queries
from incubator.ideas.stages import stage_names, status_names
from incubator.teams import queries as team_queries
from incubator.web.rendering import render


@get("/", name="home")
async def home(request: Request[Actor, Any, Any]) -> Template:
    """What needs me first, then what is going on: open challenges and the newest ideas."""
    profile = await account_queries.person_profile(request.user.id)
    challenges = await challenge_queries.challenge_list(status="open", per_page=4)
    ideas = await idea_queries.idea_board(request.user.id, idea_queries.BoardFilters(), per_page=4)
    context = {
        "profile": profile,
        "invitations": await gate_queries.invitations_for(request.user.id),
        "requests": await team_queries.requests_to_answer(request.user.id),
        "moved": await idea_queries.followed_ideas_that_moved(request.user.id),
        "open_roles": await team_queries.open_roles_for(request.user.id),
        "challenges": challenges,
        "ideas": ideas,
        "source_names": source_names(),
        "challenge_status_names": challenge_status_names(),
        "stage_names": stage_names(),
        "status_names": status_names(),
    }
    return render(request, "home/index.html.jinja2", context)
