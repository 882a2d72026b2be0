"""Log in, log out, sign up, and the CSRF and cookie rules every form follows."""

from __future__ import annotations

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD
from tests.web.support import csrf_of, login, open_web_shop


def test_login_sets_an_http_only_lax_session_cookie(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.post(
        "/login",
        data={"csrf_token": csrf_of(client), "username": "bert", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sh_session=shs_")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http in tests; https adds it


def test_logged_in_header_names_the_user_and_offers_logout(
    client: TestClient, runtime: Runtime
) -> None:
    open_web_shop(runtime, photos=0)
    login(client, "bert")
    page = client.get("/").text
    assert "Signed in as <strong>bert</strong>" in page
    assert 'action="/logout"' in page


def test_wrong_password_is_refused_with_one_message(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.post(
        "/login",
        data={"csrf_token": csrf_of(client), "username": "bert", "password": "wrong password"},
    )
    assert response.status_code == 401
    assert "wrong username or password" in response.text


def test_logout_revokes_the_session(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    login(client, "bert")
    token = client.cookies.get("sh_session")
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    client.cookies.set("sh_session", token or "")
    response = client.get("/licenses", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Flicenses"


def test_post_without_csrf_token_is_refused_with_403(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    client.get("/login")
    response = client.post("/login", data={"username": "bert", "password": PASSWORD})
    assert response.status_code == 403
    assert "sh_session" not in response.headers.get("set-cookie", "")


def test_post_with_another_sessions_csrf_token_is_refused(
    client: TestClient, runtime: Runtime
) -> None:
    open_web_shop(runtime, photos=0)
    login(client, "bert")
    stale = csrf_of(client, "/login")  # bert's token
    login(client, "rosa")  # a new session: a new token
    response = client.post("/bins", data={"csrf_token": stale, "name": "x"})
    assert response.status_code == 403


def test_signup_makes_a_contributor_and_logs_them_in(client: TestClient, runtime: Runtime) -> None:
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(client, "/signup"),
            "account": "contributor",
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "a long password",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "sh_session=" in response.headers["set-cookie"]
    with runtime.db.read_session() as session:
        user = accounts.get_user_by_username(session, "newbie")
        assert user.role_names == {Role.CONTRIBUTOR}
        assert user.email == "newbie@example.com"


def test_signup_with_a_taken_name_says_so(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(client, "/signup"),
            "account": "buyer",
            "username": "bert",
            "email": "b@example.com",
            "password": "a long password",
        },
    )
    assert response.status_code == 400
    assert "username &#39;bert&#39; is taken" in response.text


def test_login_next_never_redirects_off_site(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(client),
            "username": "bert",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
