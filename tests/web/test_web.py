"""Cross-cutting behaviour: headers, errors, health, assets, API schema, query counts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from incubator.accounts import services as accounts
from incubator.app import create_app
from incubator.settings import get_settings
from tests.conftest import PASSWORD, Browser, Persona, Run, query_count


def test_every_page_carries_the_security_headers(browser: Browser) -> None:
    response = browser.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "HX-Request" in response.headers["vary"]


def test_pages_have_no_inline_script_and_load_htmx_locally(browser: Browser) -> None:
    html = browser.get("/login").text
    assert '<script src="/static/vendor/htmx.min.js' in html
    assert "<script>" not in html
    assert "http://" not in html.replace("http://testserver.local", "")
    assert "https://" not in html


def test_vendored_assets_are_served(browser: Browser) -> None:
    htmx = browser.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:2000]
    assert browser.get("/static/css/app.css").status_code == 200
    assert browser.get("/static/vendor/pico.min.css").status_code == 200


def test_assets_are_linked_by_content_hash_and_cached_for_good_in_production(
    new_browser: Callable[..., Browser],
) -> None:
    settings = replace(get_settings(), env="production")
    browser = new_browser(create_app(settings))
    html = browser.get("/login").text
    links = dict(re.findall(r'"/static/([^"?]+)\?v=([0-9a-f]{12})"', html))
    assert set(links) >= {"css/app.css", "vendor/pico.min.css", "vendor/htmx.min.js"}
    for path, version in links.items():
        content = (settings.static_dir / path).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12], path
    stylesheet = browser.get(f"/static/css/app.css?v={links['css/app.css']}")
    assert "immutable" in stylesheet.headers["cache-control"]
    assert "max-age=31536000" in stylesheet.headers["cache-control"]


def test_assets_are_revalidated_in_development(browser: Browser) -> None:
    assert browser.get("/static/css/app.css").headers["cache-control"] == "no-cache"


def test_large_responses_are_gzipped_and_small_ones_left_alone(browser: Browser) -> None:
    stylesheet = browser.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert stylesheet.headers.get("content-encoding") == "gzip"
    assert "--ib-bg" in stylesheet.text  # the client inflated it intact
    page = browser.get("/register", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    assert "<form" in page.text
    health = browser.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in health.headers
    plain = browser.get("/register", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_healthz_queries_the_database(browser: Browser) -> None:
    response = browser.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert query_count(response) >= 1


def test_unknown_page_is_a_404_page_in_html(browser: Browser, personas: dict[str, Persona]) -> None:
    browser.login(personas["ada"].email)
    response = browser.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "Traceback" not in response.text


def test_unknown_api_route_answers_json(browser: Browser) -> None:
    response = browser.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_the_openapi_schema_is_published(browser: Browser) -> None:
    response = browser.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Incubator"


def test_an_oversized_body_is_refused_with_413(browser: Browser, run: Run) -> None:
    response = browser.post(
        "/register",
        {"email": "a@x.io", "name": "A", "password": PASSWORD, "department": "x" * 2_000_000},
    )
    assert response.status_code == 413


def test_the_directory_issues_the_same_number_of_queries_whatever_its_size(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    small = query_count(browser.get("/people"))
    small_search = query_count(browser.get("/people?q=e"))

    async def hire(count: int) -> None:
        for number in range(count):
            person = await accounts.register(
                email=f"p{number}@example.com",
                name=f"Person {number}",
                password=PASSWORD,
                department=f"Dept {number % 7}",
            )
            actor = await accounts.load_actor(int(person.id))
            assert actor is not None
            await accounts.update_profile(
                actor,
                accounts.ProfileChange(
                    f"Person {number}", f"Dept {number % 7}", "a, b, c", "", "en"
                ),
            )

    run(hire(40))
    assert query_count(browser.get("/people")) == small
    assert query_count(browser.get("/people?q=e")) == small_search
    assert query_count(browser.get("/people?page=2")) == small


@pytest.mark.parametrize("path", ["/", "/profile", "/people", "/admin/people"])
def test_main_pages_render_for_an_admin(
    browser: Browser, personas: dict[str, Persona], path: str
) -> None:
    browser.login(personas["ida"].email)
    response = browser.get(path)
    assert response.status_code == 200
    assert '<main id="main"' in response.text
    assert 'name="_csrf_token"' in response.text  # the sign-out and language forms


def test_a_crash_answers_a_500_page_or_json_without_a_traceback(
    new_browser: Callable[..., Browser], personas: dict[str, Persona]
) -> None:
    from litestar import get

    from incubator.app import create_app

    @get("/crash", sync_to_thread=False)
    def crash() -> None:
        raise RuntimeError("secret internals")

    @get("/api/v1/crash", sync_to_thread=False)
    def api_crash() -> None:
        raise RuntimeError("secret internals")

    app = create_app()
    app.register(crash)
    app.register(api_crash)
    browser = new_browser(app)
    browser.login(personas["ada"].email)
    page = browser.get("/crash")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert "secret internals" not in page.text
    api = browser.get("/api/v1/crash")
    assert api.status_code == 500
    assert api.json()["status_code"] == 500
    assert "secret internals" not in api.text


def test_an_unchanged_session_is_not_written_back_but_a_changed_one_is(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    """Litestar writes every session back on every response; ours only when it changed
    (or its expiry is due for renewal), which saves two file operations per page."""
    browser.login(personas["ada"].email)
    sessions = Path(get_settings().data_dir) / "stores" / "sessions"

    def stored() -> dict[str, tuple[int, bytes]]:
        return {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in sessions.iterdir()}

    signed_in = stored()
    assert len(signed_in) == 1
    for url in ("/ideas", "/", "/challenges"):
        assert browser.get(url).status_code == 200
    assert stored() == signed_in

    browser.post("/locale", {"locale": "fr", "next": "/"})  # the flash message changes it
    assert stored() != signed_in
    assert browser.get("/ideas").status_code == 200
    assert "Idées" in browser.get("/ideas").text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ideas/99999999999", 404),
        ("/challenges/99999999999", 404),
        ("/gates/99999999999", 404),
        ("/people/99999999999", 404),
        ("/insights/99999999999", 404),
        ("/api/v1/ideas/99999999999", 404),
        ("/ideas?challenge_id=99999999999", 400),
        ("/challenges/new?insights=99999999999", 200),
        ("/ideas?tag=a%00b", 400),
        ("/api/v1/ideas?q=a%00b", 400),
        ("/people?q=%00", 400),
    ],
)
def test_an_id_no_row_can_have_is_refused_not_a_crash(
    browser: Browser, personas: dict[str, Persona], path: str, status: int
) -> None:
    """Ids are 32-bit and text holds no NUL: PostgreSQL's driver would refuse to send
    either (a 500)."""
    browser.login(personas["bob"].email)
    assert browser.get(path).status_code == status
    assert browser.post("/ideas/99999999999/support").status_code == 404
