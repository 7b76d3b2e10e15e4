"""Stewards shape pipelines; rounds keep the settings they were opened with."""

from __future__ import annotations

from typing import Any

from incubator.db.tables import AuditEvent
from incubator.gates import services
from incubator.gates.pipelines import ensure_default_pipeline
from incubator.gates.tables import Criterion, Gate, GateRound, Pipeline, Stage
from tests import factories
from tests.accounts.test_routes import field_error
from tests.conftest import Browser, Persona, Run
from tests.gates.helpers import idea_with_team


def first_gate(run: Run, pipeline_id: int) -> dict[str, Any]:
    gate: dict[str, Any] = run(
        Gate.select()
        .where((Gate.pipeline == pipeline_id) & (Gate.from_position == 0))
        .first()
        .run()
    )
    return gate


def edit_form(run: Run, pipeline_id: int, **gate_changes: str) -> dict[str, str]:
    """The form as the page sends it, with some gate settings changed."""
    form: dict[str, str] = {}
    for stage in run(Stage.select().where(Stage.pipeline == pipeline_id).run()):
        for field in ("name_en", "name_fr", "unlocks_en", "unlocks_fr"):
            form[f"stage_{stage['id']}_{field}"] = stage[field]
    for gate in run(Gate.select().where(Gate.pipeline == pipeline_id).run()):
        form[f"gate_{gate['id']}_quorum"] = str(gate["quorum"])
        form[f"gate_{gate['id']}_threshold"] = str(round(gate["threshold"] * 100))
        form[f"gate_{gate['id']}_window_days"] = str(gate["window_days"])
        if gate["early_close"]:
            form[f"gate_{gate['id']}_early_close"] = "1"
        for criterion in run(Criterion.select().where(Criterion.gate == gate["id"]).run()):
            for field in ("name_en", "name_fr", "weight"):
                form[f"criterion_{criterion['id']}_{field}"] = str(criterion[field])
    gate = first_gate(run, pipeline_id)
    for key, value in gate_changes.items():
        form[f"gate_{gate['id']}_{key}"] = value
    return form


def test_members_cannot_configure_pipelines(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    pipeline_id = run(ensure_default_pipeline())
    browser.login(personas["ada"].email)
    assert browser.get("/admin/pipelines").status_code == 403
    assert (
        browser.post(
            f"/admin/pipelines/{pipeline_id}", edit_form(run, pipeline_id, quorum="1")
        ).status_code
        == 403
    )
    assert first_gate(run, pipeline_id)["quorum"] == 3


def test_a_new_quorum_applies_to_new_rounds_only(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    pipeline_id = run(ensure_default_pipeline())
    open_before = run(idea_with_team(personas["ada"].id, title="Before"))
    before = run(services.submit_to_gate(run(factories.actor(personas["ada"].id)), open_before))
    browser.login(personas["cleo"].email)
    assert browser.get(f"/admin/pipelines/{pipeline_id}").status_code == 200
    saved = browser.post(
        f"/admin/pipelines/{pipeline_id}", edit_form(run, pipeline_id, quorum="5", threshold="75")
    )
    assert saved.status_code == 303
    gate = first_gate(run, pipeline_id)
    assert (gate["quorum"], gate["threshold"]) == (5, 0.75)
    after_idea = run(idea_with_team(personas["ada"].id, title="After"))
    after = run(services.submit_to_gate(run(factories.actor(personas["ada"].id)), after_idea))
    quorums = {
        row["id"]: row["quorum"]
        for row in run(GateRound.select(GateRound.id, GateRound.quorum).run())
    }
    assert quorums == {before: 3, after: 5}
    assert run(AuditEvent.exists().where(AuditEvent.action == "pipeline.edited").run())


def test_bad_settings_are_refused_beside_the_field(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    pipeline_id = run(ensure_default_pipeline())
    gate_id = first_gate(run, pipeline_id)["id"]
    browser.login(personas["cleo"].email)
    response = browser.post(
        f"/admin/pipelines/{pipeline_id}", edit_form(run, pipeline_id, quorum="0", threshold="30")
    )
    assert response.status_code == 400
    assert "1 to 50" in field_error(response.text, f"gate_{gate_id}_quorum")
    assert "50 to 100" in field_error(response.text, f"gate_{gate_id}_threshold")
    assert first_gate(run, pipeline_id)["quorum"] == 3


def test_a_challenge_can_run_its_own_pipeline(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    challenge_id = run(factories.challenge(personas["dan"].id))
    browser.login(personas["cleo"].email)
    created = browser.post("/admin/pipelines", {"name": "Fast track"})
    assert created.status_code == 303
    pipeline_id = run(
        Pipeline.select(Pipeline.id).where(Pipeline.name == "Fast track").first().run()
    )["id"]
    browser.post(f"/admin/pipelines/{pipeline_id}", edit_form(run, pipeline_id, quorum="2"))
    assert (
        browser.post(
            f"/challenges/{challenge_id}/pipeline", {"pipeline_id": str(pipeline_id)}
        ).status_code
        == 303
    )
    idea_id = run(idea_with_team(personas["ada"].id, challenge_id=str(challenge_id)))
    round_id = run(services.submit_to_gate(run(factories.actor(personas["ada"].id)), idea_id))
    assert run(
        GateRound.select(GateRound.quorum).where(GateRound.id == round_id).first().run()
    ) == {"quorum": 2}
    browser.post("/logout")
    browser.login(personas["ada"].email)
    assert (
        browser.post(f"/challenges/{challenge_id}/pipeline", {"pipeline_id": ""}).status_code == 403
    )
