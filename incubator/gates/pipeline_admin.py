"""Stewards shape pipelines: stage names and what they unlock, each gate's quorum,
threshold, window, early close and cross-functional rule, and its weighted criteria.
Rounds already opened keep the settings they were opened with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.challenges.tables import Challenge
from incubator.db.audit import record_event
from incubator.db.transactions import transaction
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.gates.pipelines import copy_pipeline, ensure_default_pipeline
from incubator.gates.tables import Criterion, Gate, Pipeline, Stage
from incubator.i18n import gettext as _

NAME_MAX = 60
UNLOCKS_MAX = 280


def _require_steward(actor: Actor) -> None:
    if not actor.has_role(Role.STEWARD):
        raise NotAllowed(_("Only stewards can configure pipelines."))


@dataclass
class PipelineForm:
    """What the edit form sends, by row id: {"name_en": …} for stages, settings for gates,
    criteria per id, and new criteria per gate id."""

    stages: dict[int, dict[str, str]] = field(default_factory=dict)
    gates: dict[int, dict[str, str]] = field(default_factory=dict)
    criteria: dict[int, dict[str, str]] = field(default_factory=dict)
    new_criteria: dict[int, dict[str, str]] = field(default_factory=dict)


def _number(
    raw: str, low: float, high: float, key: str, message: str, errors: dict[str, str]
) -> float:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        errors[key] = message
        return low
    return value


def _check(form: PipelineForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    for stage_id, values in form.stages.items():
        for language in ("en", "fr"):
            name = values.get(f"name_{language}", "").strip()
            if not name or len(name) > NAME_MAX:
                errors[f"stage_{stage_id}_name_{language}"] = _(
                    "Give the stage a name (up to %(max)s characters).", max=NAME_MAX
                )
            if len(values.get(f"unlocks_{language}", "")) > UNLOCKS_MAX:
                errors[f"stage_{stage_id}_unlocks_{language}"] = _(
                    "Keep this under %(max)s characters.", max=UNLOCKS_MAX
                )
    for gate_id, values in form.gates.items():
        _number(
            values.get("quorum", ""),
            1,
            50,
            f"gate_{gate_id}_quorum",
            _("A quorum from 1 to 50 votes."),
            errors,
        )
        _number(
            values.get("threshold", ""),
            50,
            100,
            f"gate_{gate_id}_threshold",
            _("A go share from 50 to 100%."),
            errors,
        )
        _number(
            values.get("window_days", ""),
            1,
            60,
            f"gate_{gate_id}_window_days",
            _("A voting window from 1 to 60 days."),
            errors,
        )
    for criterion_id, values in form.criteria.items():
        _criterion_errors(f"criterion_{criterion_id}", values, errors, required=True)
    for gate_id, values in form.new_criteria.items():
        if any(values.get(k, "").strip() for k in ("name_en", "name_fr")):
            _criterion_errors(f"new_{gate_id}", values, errors, required=True)
    return errors


def _criterion_errors(
    prefix: str, values: dict[str, str], errors: dict[str, str], *, required: bool
) -> None:
    for language in ("en", "fr"):
        name = values.get(f"name_{language}", "").strip()
        if required and (not name or len(name) > 80):
            errors[f"{prefix}_name_{language}"] = _("Name the criterion (up to 80 characters).")
    _number(
        values.get("weight", ""), 0.1, 10, f"{prefix}_weight", _("A weight from 0.1 to 10."), errors
    )


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "criterion"


async def save_pipeline(actor: Actor, pipeline_id: int, form: PipelineForm) -> None:
    _require_steward(actor)
    if not await Pipeline.exists().where(Pipeline.id == pipeline_id).run():
        raise NotFound(_("This pipeline does not exist."))
    if errors := _check(form):
        raise ValidationFailed(errors)
    gate_ids = {
        row["id"] for row in await Gate.select(Gate.id).where(Gate.pipeline == pipeline_id).run()
    }
    async with transaction():
        for stage_id, values in form.stages.items():
            await (
                Stage.update(
                    {
                        Stage.name_en: values["name_en"].strip(),
                        Stage.name_fr: values["name_fr"].strip(),
                        Stage.unlocks_en: values.get("unlocks_en", "").strip(),
                        Stage.unlocks_fr: values.get("unlocks_fr", "").strip(),
                    }
                )
                .where((Stage.id == stage_id) & (Stage.pipeline == pipeline_id))
                .run()
            )
        for gate_id, values in form.gates.items():
            if gate_id not in gate_ids:
                continue
            await (
                Gate.update(
                    {
                        Gate.quorum: int(float(values["quorum"])),
                        Gate.threshold: round(
                            float(values["threshold"].replace(",", ".")) / 100, 4
                        ),
                        Gate.window_days: int(float(values["window_days"])),
                        Gate.early_close: values.get("early_close") == "1",
                        Gate.require_cross_functional: values.get("require_cross_functional")
                        == "1",
                    }
                )
                .where(Gate.id == gate_id)
                .run()
            )
        for criterion_id, values in form.criteria.items():
            await (
                Criterion.update(
                    {
                        Criterion.name_en: values["name_en"].strip(),
                        Criterion.name_fr: values["name_fr"].strip(),
                        Criterion.weight: float(values["weight"].replace(",", ".")),
                    }
                )
                .where((Criterion.id == criterion_id) & Criterion.gate.is_in(list(gate_ids)))
                .run()
            )
        for gate_id, values in form.new_criteria.items():
            if gate_id in gate_ids and values.get("name_en", "").strip():
                count = await Criterion.count().where(Criterion.gate == gate_id).run()
                await Criterion.insert(
                    Criterion(
                        gate=gate_id,
                        position=count,
                        key=_key(values["name_en"]),
                        name_en=values["name_en"].strip(),
                        name_fr=values["name_fr"].strip(),
                        weight=float(values["weight"].replace(",", ".")),
                    )
                ).run()
        await record_event(
            actor_id=actor.id,
            action="pipeline.edited",
            subject_type="pipeline",
            subject_id=pipeline_id,
            data={
                "gates": {str(k): v for k, v in form.gates.items()},
                "criteria": {str(k): v for k, v in form.criteria.items()},
            },
        )


async def create_pipeline(actor: Actor, name: str) -> int:
    _require_steward(actor)
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed({"name": _("Name the new pipeline (up to 80 characters).")})
    pipeline_id = await copy_pipeline(await ensure_default_pipeline(), name)
    await record_event(
        actor_id=actor.id,
        action="pipeline.created",
        subject_type="pipeline",
        subject_id=pipeline_id,
        data={"name": name},
    )
    return pipeline_id


async def assign_pipeline(actor: Actor, challenge_id: int, pipeline_id: int | None) -> None:
    """A challenge may run its own pipeline (none: the default one)."""
    _require_steward(actor)
    if (
        pipeline_id is not None
        and not await Pipeline.exists().where(Pipeline.id == pipeline_id).run()
    ):
        raise ValidationFailed({"pipeline_id": _("Choose a pipeline from the list.")})
    updated = (
        await Challenge.update({Challenge.pipeline_id: pipeline_id})
        .where(Challenge.id == challenge_id)
        .returning(Challenge.id)
        .run()
    )
    if not updated:
        raise NotFound(_("This challenge does not exist."))
    await record_event(
        actor_id=actor.id,
        action="challenge.pipeline_set",
        subject_type="challenge",
        subject_id=challenge_id,
        data={"pipeline": pipeline_id},
    )


async def pipeline_editor(pipeline_id: int) -> dict[str, Any] | None:
    pipeline = await Pipeline.select().where(Pipeline.id == pipeline_id).first().run()
    if pipeline is None:
        return None
    stages = (
        await Stage.select().where(Stage.pipeline == pipeline_id).order_by(Stage.position).run()
    )
    gates = (
        await Gate.select().where(Gate.pipeline == pipeline_id).order_by(Gate.from_position).run()
    )
    criteria = (
        await Criterion.select()
        .where(Criterion.gate.is_in([g["id"] for g in gates] or [0]))
        .order_by(Criterion.position)
        .run()
    )
    for gate in gates:
        gate["criteria"] = [c for c in criteria if c["gate"] == gate["id"]]
        gate["from_stage"] = stages[gate["from_position"]]
        gate["to_stage"] = stages[gate["from_position"] + 1]
    return {"pipeline": pipeline, "stages": stages, "gates": gates}


async def pipelines_list() -> list[dict[str, Any]]:
    return (
        await Pipeline.select()
        .order_by(Pipeline.is_default, ascending=False)
        .order_by(Pipeline.id)
        .run()
    )
