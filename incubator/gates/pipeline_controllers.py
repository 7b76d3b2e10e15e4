"""/admin/pipelines: stewards shape the stages and gates ideas go through."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Response, Template

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.errors import ValidationFailed
from incubator.gates import pipeline_admin
from incubator.i18n import gettext as _
from incubator.web.auth import requires_role
from incubator.web.forms import FormValues, read_form
from incubator.web.rendering import redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]
_FIELD = re.compile(r"^(stage|gate|criterion|new)_(\d+)_(\w+)$")


def parse_pipeline_form(form: FormValues) -> pipeline_admin.PipelineForm:
    parsed = pipeline_admin.PipelineForm()
    groups = {
        "stage": parsed.stages,
        "gate": parsed.gates,
        "criterion": parsed.criteria,
        "new": parsed.new_criteria,
    }
    for name in form.names():
        if match := _FIELD.match(name):
            kind, row_id, attribute = match.groups()
            groups[kind].setdefault(int(row_id), {})[attribute] = form.text(name)
    return parsed


class PipelineController(Controller):
    path = "/admin/pipelines"
    guards = [requires_role(Role.STEWARD.value)]

    @get("/", name="pipelines")
    async def index(self, request: ActorRequest) -> Template:
        context = {"pipelines": await pipeline_admin.pipelines_list(), "errors": {}, "values": {}}
        return render(request, "gates/pipelines.html.jinja2", context)

    @post("/")
    async def create(self, request: ActorRequest) -> Response[Any]:
        form = await read_form(request)
        try:
            pipeline_id = await pipeline_admin.create_pipeline(request.user, form.text("name"))
        except ValidationFailed as failed:
            context = {
                "pipelines": await pipeline_admin.pipelines_list(),
                "errors": failed.errors,
                "values": {"name": form.text("name")},
            }
            return render(request, "gates/pipelines.html.jinja2", context, status_code=400)
        flash(
            request,
            _("The pipeline is created from the default one: adjust it below."),
            category="success",
        )
        return redirect_after_post(request, f"/admin/pipelines/{pipeline_id}")

    @get("/{pipeline_id:int}", name="pipeline")
    async def edit(self, request: ActorRequest, pipeline_id: FromPath[int]) -> Template:
        editor = await pipeline_admin.pipeline_editor(pipeline_id)
        if editor is None:
            raise NotFoundException()
        return render(request, "gates/pipeline.html.jinja2", {**editor, "errors": {}, "values": {}})

    @post("/{pipeline_id:int}")
    async def save(self, request: ActorRequest, pipeline_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        try:
            await pipeline_admin.save_pipeline(request.user, pipeline_id, parse_pipeline_form(form))
        except ValidationFailed as failed:
            editor = await pipeline_admin.pipeline_editor(pipeline_id)
            if editor is None:
                raise NotFoundException() from failed
            values = {name: form.text(name) for name in form.names()}
            context = {**editor, "errors": failed.errors, "values": values}
            return render(request, "gates/pipeline.html.jinja2", context, status_code=400)
        flash(
            request,
            _("The pipeline is saved. Rounds already open keep their settings."),
            category="success",
        )
        return redirect_after_post(request, f"/admin/pipelines/{pipeline_id}")


class ChallengePipelineController(Controller):
    path = "/challenges/{challenge_id:int}/pipeline"
    guards = [requires_role(Role.STEWARD.value)]

    @post("/")
    async def assign(self, request: ActorRequest, challenge_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        raw = form.text("pipeline_id")
        pipeline_id = form.id("pipeline_id")
        if raw and pipeline_id is None:
            raise ValidationFailed({"pipeline_id": _("Choose a pipeline from the list.")})
        await pipeline_admin.assign_pipeline(request.user, challenge_id, pipeline_id)
        flash(request, _("The challenge's pipeline is set."), category="success")
        return redirect_after_post(request, f"/challenges/{challenge_id}")
