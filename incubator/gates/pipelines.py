"""Pipelines: the default one (created at first start), copies for challenges, and the way
from an idea's stage to its next gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from incubator.db.transactions import transaction
from incubator.gates.tables import Criterion, Gate, Pipeline, Stage
from incubator.i18n import current_locale
from incubator.ideas.tables import Idea

# key, English name, French name, unlocks (en), unlocks (fr)
DEFAULT_STAGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("spark", "Spark", "Étincelle", "", ""),
    (
        "explore",
        "Explore",
        "Exploration",
        "Half a day a week for a month to test the idea with customers.",
        "Une demi-journée par semaine pendant un mois pour tester l'idée auprès de clients.",
    ),
    (
        "prototype",
        "Prototype",
        "Prototype",
        "Up to €5,000 and two days a week for the team.",
        "Jusqu'à 5 000 € et deux jours par semaine pour l'équipe.",
    ),
    (
        "pilot",
        "Pilot",
        "Pilote",
        "A pilot site and up to €25,000.",
        "Un site pilote et jusqu'à 25 000 €.",
    ),
    (
        "scale",
        "Scale",
        "Déploiement",
        "A budget line and a team to roll it out.",
        "Une ligne budgétaire et une équipe pour le déployer.",
    ),
)
DEFAULT_CRITERIA: tuple[tuple[str, str, str, float], ...] = (
    ("customer_value", "Customer value", "Valeur client", 1.0),
    ("feasibility", "Feasibility", "Faisabilité", 1.0),
    ("strategic_fit", "Strategic fit", "Adéquation stratégique", 1.0),
)
# The team must span two departments to enter Prototype (the gate out of Explore).
CROSS_FUNCTIONAL_FROM = 1


async def ensure_default_pipeline() -> int:
    """The default pipeline, created on first start (idempotent)."""
    existing = await Pipeline.select(Pipeline.id).where(Pipeline.is_default == True).first().run()  # noqa: E712
    if existing is not None:
        return int(existing["id"])
    async with transaction():
        pipeline = Pipeline(name="Default", is_default=True)
        await pipeline.save().run()
        await _build(pipeline.id)
    return int(pipeline.id)


async def _build(pipeline_id: int) -> None:
    await Stage.insert(
        *(
            Stage(
                pipeline=pipeline_id,
                position=position,
                key=key,
                name_en=en,
                name_fr=fr,
                unlocks_en=unlocks_en,
                unlocks_fr=unlocks_fr,
            )
            for position, (key, en, fr, unlocks_en, unlocks_fr) in enumerate(DEFAULT_STAGES)
        )
    ).run()
    for position in range(len(DEFAULT_STAGES) - 1):
        gate = Gate(
            pipeline=pipeline_id,
            from_position=position,
            require_cross_functional=position == CROSS_FUNCTIONAL_FROM,
        )
        await gate.save().run()
        await Criterion.insert(
            *(
                Criterion(
                    gate=gate.id, position=index, key=key, name_en=en, name_fr=fr, weight=weight
                )
                for index, (key, en, fr, weight) in enumerate(DEFAULT_CRITERIA)
            )
        ).run()


async def copy_pipeline(source_id: int, name: str) -> int:
    """A new pipeline with the source's stages, gates and criteria (for a challenge)."""
    async with transaction():
        pipeline = Pipeline(name=name)
        await pipeline.save().run()
        for stage in await Stage.select().where(Stage.pipeline == source_id).run():
            stage.pop("id")
            await Stage.insert(Stage(**{**stage, "pipeline": pipeline.id})).run()
        for gate in await Gate.select().where(Gate.pipeline == source_id).run():
            old_id = gate.pop("id")
            copy = Gate(**{**gate, "pipeline": pipeline.id})
            await copy.save().run()
            criteria = await Criterion.select().where(Criterion.gate == old_id).run()
            for criterion in criteria:
                criterion.pop("id")
            if criteria:
                await Criterion.insert(
                    *(Criterion(**{**criterion, "gate": copy.id}) for criterion in criteria)
                ).run()
    return int(pipeline.id)


async def pipeline_of_idea(idea_id: int) -> int:
    """The challenge's own pipeline if it has one, else the default."""
    row = (
        await Idea.select(Idea.challenge.pipeline_id.as_alias("pipeline_id"))
        .where(Idea.id == idea_id)
        .first()
        .run()
    )
    if (
        row is not None
        and row["pipeline_id"] is not None
        and await Pipeline.exists().where(Pipeline.id == row["pipeline_id"]).run()
    ):
        return int(row["pipeline_id"])
    return await ensure_default_pipeline()


@dataclass(frozen=True)
class NextGate:
    gate: dict[str, Any]
    criteria: list[dict[str, Any]]
    from_stage: str
    to_stage: str
    final: bool


async def next_gate(pipeline_id: int, stage_key: str) -> NextGate | None:
    """The gate out of this stage, or None at the last stage."""
    stages = (
        await Stage.select(Stage.position, Stage.key)
        .where(Stage.pipeline == pipeline_id)
        .order_by(Stage.position)
        .run()
    )
    keys = [stage["key"] for stage in stages]
    if stage_key not in keys or keys.index(stage_key) == len(keys) - 1:
        return None
    position = keys.index(stage_key)
    gate = (
        await Gate.select()
        .where((Gate.pipeline == pipeline_id) & (Gate.from_position == position))
        .first()
        .run()
    )
    if gate is None:
        return None
    criteria = (
        await Criterion.select(
            Criterion.key, Criterion.name_en, Criterion.name_fr, Criterion.weight
        )
        .where(Criterion.gate == gate["id"])
        .order_by(Criterion.position)
        .run()
    )
    return NextGate(gate, criteria, keys[position], keys[position + 1], position + 2 == len(keys))


def localized(row: dict[str, Any], field: str) -> str:
    """`name` → name_fr for a French reader, else name_en."""
    value = row.get(f"{field}_{current_locale()}") or row.get(f"{field}_en") or ""
    return str(value)


async def stages_of(pipeline_id: int) -> list[dict[str, Any]]:
    return await Stage.select().where(Stage.pipeline == pipeline_id).order_by(Stage.position).run()
