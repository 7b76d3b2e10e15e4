"""The JSON API: its OpenAPI schema, list shape, and personal tokens for scripts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from openapi_spec_validator import validate

from incubator.accounts import tokens
from incubator.accounts.tables import ApiToken
from incubator.errors import NotFound
from tests import factories
from tests.conftest import Browser, Persona, Run

API_ROUTES = {"/api/v1/ideas", "/api/v1/ideas/{idea_id}", "/api/v1/challenges", "/api/v1/pipeline"}


def test_the_openapi_schema_validates_and_lists_every_api_route(browser: Browser) -> None:
    schema = browser.get("/schema/openapi.json").json()
    validate(schema)
    assert set(schema["paths"]) == API_ROUTES
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_a_token_opens_the_api_and_a_revoked_one_is_refused(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    run(factories.idea(personas["ada"].id, title="Visible to scripts"))
    browser.login(personas["bob"].email)
    page = browser.post("/profile/tokens", {"token_name": "Monthly report"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    token = page.text.split('<code class="token">', 1)[1].split("</code>", 1)[0]
    assert token.startswith("inc_")
    stored = run(ApiToken.select(ApiToken.token_hash, ApiToken.prefix).first().run())
    assert token not in stored.values()  # only its hash is kept

    script = new_browser()  # no session at all
    headers = {"Authorization": f"Bearer {token}"}
    response = script.get("/api/v1/ideas", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "page", "per_page", "total", "total_capped", "next_after"}
    assert body["items"][0]["title"] == "Visible to scripts"
    for path in ("/api/v1/challenges", "/api/v1/pipeline"):
        assert script.get(path, headers=headers).status_code == 200
    assert script.get("/profile", headers=headers).status_code == 303  # pages want a session

    token_id = run(ApiToken.select(ApiToken.id).first().run())["id"]
    assert browser.post(f"/profile/tokens/{token_id}/revoke").status_code == 303
    assert script.get("/api/v1/ideas", headers=headers).status_code == 401
    assert (
        script.get("/api/v1/ideas", headers={"Authorization": "Bearer inc_forged"}).status_code
        == 401
    )


def test_tokens_belong_to_their_owner(run: Run, personas: dict[str, Persona]) -> None:
    async def scenario() -> None:
        bob, eve = (
            await factories.actor(personas["bob"].id),
            await factories.actor(personas["eve"].id),
        )
        await tokens.create_token(bob, "script")
        token_id = (await tokens.tokens_of(bob.id))[0]["id"]
        with pytest.raises(NotFound):
            await tokens.revoke_token(eve, token_id)

    run(scenario())
    assert run(ApiToken.select(ApiToken.revoked_at).first().run()) == {"revoked_at": None}
