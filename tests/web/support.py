"""Helpers for page tests over the TestClient: CSRF tokens, logging in, a tiny shop."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.testclient import TestClient

from stockhouse.commerce import credits
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD
from tests.commerce.shop_support import Shop, fresh, open_shop, publish_photo

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_in(html: str) -> str:
    """The CSRF token a page's forms carry (from the layout's meta tag)."""
    found = _CSRF_META.search(html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    return csrf_in(client.get(path).text)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log the client in through the login form (cookies stay in the client)."""
    response = client.post(
        "/login",
        data={"csrf_token": csrf_of(client), "username": username, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@dataclass(frozen=True)
class WebShop:
    shop: Shop
    photo_ids: list[int]


def open_web_shop(runtime: Runtime, photos: int = 2, cash_minor: int = 100_000) -> WebShop:
    """Buyers, a seller with published photos (indexed), and cash for the buyer."""
    shop = open_shop(runtime)
    with runtime.db.session() as session:
        ids = [
            publish_photo(session, runtime, fresh(session, shop.seller)).id for _ in range(photos)
        ]
        credits.deposit_cash(session, fresh(session, shop.buyer), cash_minor, "USD")
    runtime.search.rebuild()
    return WebShop(shop, ids)
