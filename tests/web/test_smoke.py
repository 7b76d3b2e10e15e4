from tests.conftest import Browser


def test_login_page_renders(browser: Browser) -> None:
    response = browser.get("/login")
    assert response.status_code == 200
    assert 'name="_csrf_token"' in response.text
