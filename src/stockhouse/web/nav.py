"""The header's navigation: which links a logged-in user sees, by role.

Pages of other areas add their links here (one `NavLink` each, in display order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stockhouse.accounts.models import Role
from stockhouse.web.session import WebUser


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    shown_to: Callable[[WebUser], bool]


def _buyer(user: WebUser) -> bool:
    return user.is_buyer


def _group_member(user: WebUser) -> bool:
    return user.group_id is not None


def _contributor(user: WebUser) -> bool:
    return user.has_role(Role.CONTRIBUTOR)


def _reviewer(user: WebUser) -> bool:
    return user.has_role(Role.REVIEWER) or user.has_role(Role.ADMIN)


def _group_admin(user: WebUser) -> bool:
    return user.group_admin


def _admin(user: WebUser) -> bool:
    return user.has_role(Role.ADMIN)


def _generator_user(user: WebUser) -> bool:
    return user.is_buyer or user.has_role(Role.ADMIN)


NAV_LINKS: list[NavLink] = [
    NavLink("Bins", "/bins", _buyer),
    NavLink("Cart", "/cart", _buyer),
    NavLink("My licenses", "/licenses", _buyer),
    NavLink("Invoices", "/invoices", _group_member),
    NavLink("Group", "/group", _group_admin),
    NavLink("Generate", "/generate", _generator_user),
    NavLink("Contribute", "/contribute", _contributor),
    NavLink("Review", "/review", _reviewer),
    NavLink("Admin", "/admin/users", _admin),
]


def nav_links(user: WebUser) -> list[NavLink]:
    return [link for link in NAV_LINKS if link.shown_to(user)]
