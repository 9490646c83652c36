import pytest

from arrears.web.tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "imports", "audit", "admin"),
    [
        ("ann", False, False, False),
        ("lead", True, False, False),
        ("head", True, True, False),
        ("auditor", False, True, False),
        ("admin", True, True, True),
    ],
)
def test_navigation_shows_what_the_role_may_open(client, people, who, imports, audit, admin):
    login(client, people[who])
    html = client.get("/").content.decode()
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    for href in ('href="/"', 'href="/customers/"', 'href="/documents/"', 'href="/aging/"'):
        assert href in nav
    assert ('href="/imports/"' in nav) is imports
    assert ('href="/audit/"' in nav) is audit
    assert ('href="/admin/"' in nav) is admin


def test_current_section_is_marked_in_the_navigation(client, people):
    login(client, people["head"])
    html = client.get("/customers/").content.decode()
    assert 'href="/customers/" accesskey="c" class="active" aria-current="page"' in html


def test_search_box_is_reachable_with_the_slash_shortcut(client, people):
    login(client, people["head"])
    html = client.get("/customers/").content.decode()
    assert "data-search" in html
    assert 'src="/static/web/app.js"' in html


def test_login_form_logs_in_and_logout_is_a_post(client, people):
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    response = client.post("/login/", {"username": "ann", "password": "pw-ann"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_shows_an_error(client, people):
    response = client.post("/login/", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert "didn&#x27;t match" in response.content.decode() or "didn't match" in response.content.decode()


def test_password_change_page_lists_errors_per_field(client, people):
    login(client, people["ann"])
    response = client.post(
        "/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error" role="alert"' in html
    ok = client.post(
        "/password/",
        {"old_password": "pw-ann", "new_password1": "Long-enough-9", "new_password2": "Long-enough-9"},
    )
    assert ok.status_code == 302
    assert "Password changed" in client.get(ok["Location"]).content.decode()
