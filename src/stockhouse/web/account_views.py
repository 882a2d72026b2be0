"""Log in, log out, sign up (buyers and contributors)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.accounts.passwords import MIN_PASSWORD_LENGTH
from stockhouse.errors import AuthenticationFailed, Conflict, InvalidParameter
from stockhouse.web import session as cookies
from stockhouse.web.pages import Web, page, safe_local_url

SIGNUP_ROLES = {"buyer": Role.BUYER, "contributor": Role.CONTRIBUTOR}


def _landing(roles: set[Role]) -> str:
    """Where a new account starts: contributors on their upload page, buyers on search."""
    return "/contribute" if Role.CONTRIBUTOR in roles else "/"


@page()
def login(request: Request, web: Web) -> Response:
    next_url = safe_local_url(request.query_params.get("next") or web.field("next") or "/")
    if request.method == "GET":
        if web.user is not None:
            return web.redirect(next_url)
        return web.render("login.html", next=next_url, username="", error=None)
    username = web.field("username").strip()
    try:
        with web.runtime.db.session() as session:
            user_id = accounts.authenticate(session, username, web.field("password")).id
    except AuthenticationFailed as exc:
        return web.render(
            "login.html", status_code=401, next=next_url, username=username, error=exc.message
        )
    response = web.redirect(next_url, f"Welcome back, {username}.")
    cookies.start_session(response, web.runtime, user_id, web.visitor.secure)
    return response


@page()
def logout(request: Request, web: Web) -> Response:
    if request.method == "GET":
        return web.redirect("/")
    response = web.redirect("/", "You are logged out.", "info")
    cookies.end_session(response, web.runtime, web.visitor)
    return response


def _signup_form(web: Web, status: int = 200, error: str | None = None) -> Response:
    return web.render(
        "signup.html",
        status_code=status,
        error=error,
        username=web.field("username"),
        email=web.field("email"),
        account=web.field("account") or web.request.query_params.get("account", "buyer"),
        min_password=MIN_PASSWORD_LENGTH,
    )


@page()
def signup(request: Request, web: Web) -> Response:
    if request.method == "GET":
        return _signup_form(web)
    role = SIGNUP_ROLES.get(web.field("account"), Role.BUYER)
    username = web.field("username").strip()
    try:
        with web.runtime.db.session() as session:
            user = accounts.create_user(
                session,
                username=username,
                password=web.field("password"),
                email=web.field("email").strip() or None,
                roles=[role],
            )
            user_id = user.id
    except (InvalidParameter, Conflict) as exc:
        return _signup_form(web, 400, exc.message)
    response = web.redirect(_landing({role}), f"Welcome to Stockhouse, {username}.")
    cookies.start_session(response, web.runtime, user_id, web.visitor.secure)
    return response
