"""The JSON API fuzzed against its own OpenAPI schema (schemathesis): every /api/v1
operation, signed in by session or by personal token, over seeded data so lists are not
empty. No 5xx, and each answer conforms to the schema (status, content type, body)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incubator.accounts import tokens
from incubator.gates import services as gates
from tests import factories
from tests.conftest import Browser, Persona, Run
from tests.gates.helpers import idea_with_team

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(browser: Browser) -> Any:
    response = browser.get("/schema/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture
def seeded(personas: dict[str, Persona], run: Run) -> dict[str, int]:
    """Open and closed challenges, plain, blind and team ideas, one at a gate."""

    async def seed() -> dict[str, int]:
        ada, dan = personas["ada"].id, personas["dan"].id
        challenge_id = await factories.challenge(ada, tags="retail, ops", closes_on="2999-12-31")
        await factories.challenge(dan, title="Cut waste <b>now</b>", source="strategic")
        idea_id = await idea_with_team(ada, personas["bob"].id, challenge_id=str(challenge_id))
        await factories.idea(dan, title="Blind one", blind=True, tags="secret")
        await factories.idea(personas["eve"].id, title="Émojis 🦄", description="**x**")
        await gates.submit_to_gate(await factories.actor(ada), idea_id)
        return {"challenge": challenge_id, "idea": idea_id}

    ids: dict[str, int] = run(seed())
    return ids


@pytest.fixture
def signed_in(
    browser: Browser, personas: dict[str, Persona], seeded: dict[str, int], run: Run
) -> dict[str, dict[str, str]]:
    """Headers per way of signing in: the browser's session cookie, or a bearer token
    (sent from a browser whose session is dropped first)."""
    token = run(tokens.create_token(run(factories.actor(personas["eve"].id)), "fuzzer"))
    browser.login(personas["eve"].email)
    return {"session": {}, "token": {"Authorization": f"Bearer {token}"}}


FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/ideas", "/api/v1/ideas/{idea_id}", "/api/v1/challenges", "/api/v1/pipeline"],
)
def test_the_api_answers_every_request_as_its_schema_says(
    api_schema: Any, browser: Browser, signed_in: dict[str, dict[str, str]], path: str
) -> None:
    # schemathesis' own pytest loader (`from_fixture`) does not run under pytest 9: each
    # operation's strategy is driven by hypothesis here instead.
    (operation,) = [op for op in operations(api_schema) if op.path == path]
    session = browser.client.cookies.get("incubator_session")

    @FUZZ
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        for mode, auth in signed_in.items():
            # The token alone: no session cookie rides along.
            browser.client.cookies.delete("incubator_session")
            if mode == "session" and session:
                browser.client.cookies.set("incubator_session", session)
            response = browser.client.request(
                case.method,
                case.formatted_path,
                params=case.query,
                # Ours, not a random one generated from the schema's security scheme.
                headers={
                    **{
                        k: v
                        for k, v in (case.headers or {}).items()
                        if k.lower() != "authorization"
                    },
                    **auth,
                },
                follow_redirects=False,
            )
            assert response.status_code != 401, (mode, response.text)
            case.validate_response(response, checks=CHECKS)

    check()


def test_every_api_operation_is_fuzzed(api_schema: Any) -> None:
    """The schema lists exactly the routes fuzzed above (a new one must be added there)."""
    paths = {op.path for op in operations(api_schema)}
    assert paths == {
        "/api/v1/ideas",
        "/api/v1/ideas/{idea_id}",
        "/api/v1/challenges",
        "/api/v1/pipeline",
    }
