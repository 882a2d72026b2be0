"""The site admin's pages: users (create, roles, disable), groups (create, members,
complimentary allowance), API keys and secrets (created and rotated keys are shown once),
licenses and prices.

The accounts and commerce services hold the rules (valid names, currencies, sizes,
amounts); these views read forms and call them. Every page needs the admin role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Credential, GroupRole, PaymentMode, Role, User
from stockhouse.commerce import prices
from stockhouse.commerce.downloads import set_allowance
from stockhouse.commerce.models import ExtOption, ProductType
from stockhouse.commerce.money import to_minor
from stockhouse.errors import InvalidParameter
from stockhouse.web.pages import Web, page

ADMINS = (Role.ADMIN,)
USERS_PER_PAGE = 100
ROLE_CHOICES = tuple(role.value for role in Role)
API_CHOICES = tuple(api.value for api in ApiKind)
GRANT_CHOICES = ("read", "write", "admin")
GET_POST = ["GET", "POST"]


def _admin(session: Session, web: Web) -> User:
    return accounts.get_user(session, web.require_user().id)


def _roles(web: Web) -> list[Role]:
    return [Role(value) for value in web.fields("role") if value in ROLE_CHOICES]


def _path_id(request: Request, name: str) -> int:
    value: int = request.path_params[name]
    return value


# -- users ------------------------------------------------------------------------------


@page(roles=ADMINS)
def users_page(request: Request, web: Web) -> Response:
    if request.method == "POST":
        with web.runtime.db.session() as session:
            made = accounts.create_user(
                session,
                username=web.field("username").strip(),
                password=web.field("password"),
                email=web.field("email").strip() or None,
                roles=_roles(web) or [Role.BUYER],
            )
            name = made.username
        return web.redirect("/admin/users", f"User {name} created.")
    text = request.query_params.get("page", "1")
    page_number = max(int(text), 1) if text.isdigit() and len(text) < 6 else 1
    with web.runtime.db.read_session() as session:
        users = accounts.list_users(
            session, limit=USERS_PER_PAGE, offset=(page_number - 1) * USERS_PER_PAGE
        )
        return web.render(
            "admin/users.html",
            users=users,
            role_choices=ROLE_CHOICES,
            page_number=page_number,
            more=len(users) == USERS_PER_PAGE,
            me=web.require_user().id,
        )


@page(roles=ADMINS)
def user_update(request: Request, web: Web) -> Response:
    """Set a user's roles, or disable / enable the account."""
    user_id = _path_id(request, "user_id")
    action = web.field("action")
    with web.runtime.db.session() as session:
        user = accounts.get_user(session, user_id)
        if action == "roles":
            accounts.set_roles(session, user, _roles(web))
            message = f"Roles of {user.username} saved."
        elif action in ("disable", "enable"):
            if user.id == web.require_user().id:
                raise InvalidParameter("action", "you cannot disable your own account")
            accounts.set_active(session, user, action == "enable")
            message = f"{user.username} {action}d."
        else:
            raise InvalidParameter("action", "unknown action")
    return web.redirect(f"/admin/users#user-{user_id}", message)


# -- groups -----------------------------------------------------------------------------


@page(roles=ADMINS)
def groups_page(request: Request, web: Web) -> Response:
    if request.method == "POST":
        mode = web.field("payment_mode")
        with web.runtime.db.session() as session:
            group = accounts.create_group(
                session,
                name=web.field("name"),
                payment_mode=PaymentMode(mode)
                if mode in {m.value for m in PaymentMode}
                else PaymentMode.PREPAID,
                currency=web.field("currency").strip().upper() or "USD",
            )
            name = group.name
        return web.redirect("/admin/groups", f"Group {name} created.")
    with web.runtime.db.read_session() as session:
        groups = [
            (group, accounts.members_of(session, group)) for group in accounts.list_groups(session)
        ]
        return web.render(
            "admin/groups.html",
            groups=groups,
            modes=[m.value for m in PaymentMode],
            group_roles=[r.value for r in GroupRole],
        )


@page(roles=ADMINS)
def group_update(request: Request, web: Web) -> Response:
    """Add a member (or change their group role), remove one, or set the allowance."""
    group_id = _path_id(request, "group_id")
    action = web.field("action")
    with web.runtime.db.session() as session:
        group = accounts.get_group(session, group_id)
        if action == "add":
            user = accounts.get_user_by_username(session, web.field("username").strip())
            role = web.field("group_role")
            accounts.add_member(
                session,
                group,
                user,
                GroupRole(role) if role in {r.value for r in GroupRole} else GroupRole.MEMBER,
            )
            message = f"{user.username} is in {group.name}."
        elif action == "remove":
            user = accounts.get_user(session, web.int_field("user_id") or 0)
            accounts.remove_member(session, group, user)
            message = f"{user.username} left {group.name}."
        elif action == "allowance":
            per_month = web.int_field("per_month", 0) or 0
            set_allowance(session, _admin(session, web), group.id, per_month)
            message = f"{group.name} may download {per_month} complimentary items a month."
        else:
            raise InvalidParameter("action", "unknown action")
    return web.redirect(f"/admin/groups#group-{group_id}", message)


# -- API keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    credential: Credential
    username: str


def _shown_once(web: Web, issued: accounts.IssuedCredential, what: str) -> Response:
    """The page that shows a new key and secret: the only time they are visible."""
    return web.render(
        "admin/key_issued.html",
        status_code=201,
        what=what,
        key=issued.key,
        secret=issued.secret,
        credential=issued.credential,
    )


@page(roles=ADMINS)
def keys_page(request: Request, web: Web) -> Response:
    if request.method == "POST":
        api = web.field("api")
        if api not in API_CHOICES:
            raise InvalidParameter("api", "choose the API the key is for")
        with web.runtime.db.session() as session:
            owner = accounts.get_user_by_username(session, web.field("username").strip())
            issued = accounts.create_credential(
                session,
                web.runtime.secrets,
                user=owner,
                api=ApiKind(api),
                name=web.field("name").strip(),
                grants=[g for g in web.fields("grant") if g in GRANT_CHOICES],
                with_secret=web.field("with_secret") == "1",
            )
            return _shown_once(web, issued, f"New {api} key for {owner.username}")
    with web.runtime.db.read_session() as session:
        rows = [KeyRow(c, c.user.username) for c in accounts.list_credentials(session)]
        return web.render("admin/keys.html", rows=rows, apis=API_CHOICES, grants=GRANT_CHOICES)


@page(roles=ADMINS)
def key_update(request: Request, web: Web) -> Response:
    credential_id = _path_id(request, "credential_id")
    action = web.field("action")
    with web.runtime.db.session() as session:
        credential = accounts.get_credential(session, credential_id)
        if action == "rotate":
            issued = accounts.rotate_credential(session, web.runtime.secrets, credential)
            return _shown_once(web, issued, f"Key #{credential_id} rotated")
        if action != "disable":
            raise InvalidParameter("action", "unknown action")
        accounts.disable_credential(session, credential)
    return web.redirect("/admin/keys", f"Key #{credential_id} disabled.")


# -- licenses and prices ----------------------------------------------------------------


@page(roles=ADMINS)
def licenses_page(request: Request, web: Web) -> Response:
    if request.method == "POST":
        sizes = [s.strip() for s in web.field("sizes").split(",") if s.strip()]
        with web.runtime.db.session() as session:
            made = prices.create_license(
                session,
                name=web.field("name"),
                product_type=web.field("product_type"),
                size_codes=sizes,
                ext_options_allowed=sum(
                    int(v) for v in web.fields("ext") if v.isdigit() and len(v) < 4
                ),
                extended=web.field("extended") == "1",
            )
            name = made.name
        return web.redirect("/admin/licenses", f"License {name} created; now price its sizes.")
    with web.runtime.db.session() as session:  # makes the default price list if missing
        prices_by_license: dict[int, list[Any]] = {}
        for row in prices.list_prices(session):
            prices_by_license.setdefault(row.license_id, []).append(row)
        return web.render(
            "admin/licenses.html",
            licenses=prices.list_licenses(session),
            prices_by_license=prices_by_license,
            currency=prices.default_price_list(session).currency,
            product_types=[t.value for t in ProductType],
            ext_options=[(int(bit), str(bit.name).replace("_", " ").lower()) for bit in ExtOption],
            groups=accounts.list_groups(session),
        )


@page(roles=ADMINS)
def license_update(request: Request, web: Web) -> Response:
    """Switch a license on or off, or set one of its prices."""
    license_id = _path_id(request, "license_id")
    action = web.field("action")
    with web.runtime.db.session() as session:
        if action in ("activate", "deactivate"):
            license = prices.update_license(session, license_id, active=action == "activate")
            message = f"License {license.name} {action}d."
        elif action == "price":
            group_id = web.int_field("group_id")
            group = accounts.get_group(session, group_id) if group_id else None
            price_list = prices.group_price_list(session, group, create=False) if group else None
            currency = (
                price_list.currency
                if price_list is not None
                else (group.currency if group else prices.default_price_list(session).currency)
            )
            size = web.field("size").strip()
            prices.set_price(
                session,
                license_id,
                size,
                amount_minor=to_minor(web.field("amount"), currency),
                credits=web.int_field("credits", 0) or 0,
                ext_option=web.int_field("ext_option", 0) or 0,
                group=group,
            )
            message = f"Price of {size} saved."
        else:
            raise InvalidParameter("action", "unknown action")
    return web.redirect(f"/admin/licenses#license-{license_id}", message)


def routes() -> list[BaseRoute]:
    post = ["POST"]
    return [
        Route("/admin", users_page, methods=GET_POST),
        Route("/admin/users", users_page, methods=GET_POST),
        Route("/admin/users/{user_id:int}", user_update, methods=post),
        Route("/admin/groups", groups_page, methods=GET_POST),
        Route("/admin/groups/{group_id:int}", group_update, methods=post),
        Route("/admin/keys", keys_page, methods=GET_POST),
        Route("/admin/keys/{credential_id:int}", key_update, methods=post),
        Route("/admin/licenses", licenses_page, methods=GET_POST),
        Route("/admin/licenses/{license_id:int}", license_update, methods=post),
    ]
