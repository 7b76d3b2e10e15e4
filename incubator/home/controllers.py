from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from incubator.accounts import queries as account_queries
from incubator.accounts.identity import Actor
from incubator.web.rendering import render


@get("/", name="home")
async def home(request: Request[Actor, Any, Any]) -> Template:
    profile = await account_queries.person_profile(request.user.id)
    return render(request, "home/index.html.jinja2", {"profile": profile})
