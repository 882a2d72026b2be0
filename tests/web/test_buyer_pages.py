"""Buyer pages over the TestClient: search, item, license and download, cart, bins,
licenses, invoices; hostile input is escaped, never a 500."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from stockhouse.commerce import credits
from stockhouse.runtime import Runtime
from tests.web.support import csrf_in, login, open_web_shop


def _item_links(html: str) -> list[int]:
    return [int(i) for i in dict.fromkeys(re.findall(r'href="/items/(\d+)"', html))]


def _first_offer(html: str) -> str:
    found = re.search(r'name="offer" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_search_lists_published_photos_with_server_timing(
    client: TestClient, runtime: Runtime
) -> None:
    shop = open_web_shop(runtime, photos=3)
    response = client.get("/search?kind=photo")
    assert response.status_code == 200
    assert sorted(_item_links(response.text)) == sorted(shop.photo_ids)
    assert response.headers["server-timing"].startswith("app;dur=")


def test_search_filters_stay_in_pagination_links(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.get("/search?q=sky&kind=photo&color=9&sort=newest")
    assert 'value="9" checked' in response.text
    assert '<option value="newest" selected>' in response.text


def test_search_shows_facet_counts(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=2)
    html = client.get("/search").text
    photos = re.search(r'value="photo"[^>]*> Photos <span class="facet">(\d+)</span>', html)
    assert photos is not None and photos.group(1) == "2"


def test_hostile_query_is_escaped(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.get("/search", params={"q": "<script>alert(1)</script>", "page": "-5"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_unknown_filter_values_are_ignored(client: TestClient, runtime: Runtime) -> None:
    shop = open_web_shop(runtime, photos=1)
    response = client.get("/search?kind=rocket&color=99&size=huge&sort=%27;drop&lang=xx&page=abc")
    assert response.status_code == 200
    assert _item_links(response.text) == shop.photo_ids


def test_item_page_shows_prices_and_watermarked_preview(
    client: TestClient, runtime: Runtime
) -> None:
    shop = open_web_shop(runtime, photos=1)
    html = client.get(f"/items/{shop.photo_ids[0]}").text
    assert f'src="/media/{shop.photo_ids[0]}/preview_neutral"' in html
    assert re.search(r'value="\d+:s"', html)
    assert "USD" in html


def test_missing_item_is_a_404_page(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    response = client.get("/items/999999")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text


def test_license_now_then_download_delivers_the_licensed_file(
    client: TestClient, runtime: Runtime
) -> None:
    shop = open_web_shop(runtime, photos=1)
    login(client, "bert")
    item_id = shop.photo_ids[0]
    page = client.get(f"/items/{item_id}").text
    response = client.post(
        f"/items/{item_id}/license",
        data={"csrf_token": csrf_in(page), "offer": _first_offer(page), "method": "balance"},
    )
    assert response.status_code == 200
    assert "Licensed. Your download is ready below." in response.text
    transaction_id = re.findall(r"/licenses/(\d+)/download", response.text)[0]
    download = client.get(f"/licenses/{transaction_id}/download")
    assert download.status_code == 200
    assert download.content[:3] == b"\xff\xd8\xff"  # a JPEG
    with runtime.db.read_session() as session:
        from tests.commerce.shop_support import fresh

        assert credits.cash_balance(session, fresh(session, shop.shop.buyer), "USD") < 100_000


def test_license_without_funds_goes_back_with_the_reason(
    client: TestClient, runtime: Runtime
) -> None:
    shop = open_web_shop(runtime, photos=1)
    login(client, "rosa")  # no money
    item_id = shop.photo_ids[0]
    page = client.get(f"/items/{item_id}").text
    response = client.post(
        f"/items/{item_id}/license",
        data={"csrf_token": csrf_in(page), "offer": _first_offer(page)},
        headers={"referer": f"http://testserver/items/{item_id}"},
    )
    assert response.status_code == 200
    assert "flash-error" in response.text
    assert "No licenses yet" in client.get("/licenses").text


def test_cart_totals_and_checkout(client: TestClient, runtime: Runtime) -> None:
    shop = open_web_shop(runtime, photos=2)
    login(client, "bert")
    for item_id in shop.photo_ids:
        page = client.get(f"/items/{item_id}").text
        client.post(
            f"/items/{item_id}/cart",
            data={"csrf_token": csrf_in(page), "offer": _first_offer(page)},
        )
    cart = client.get("/cart").text
    assert cart.count('action="/cart/remove"') == 2
    assert "Subtotal" in cart and "VAT" in cart
    bought = client.post("/cart/checkout", data={"csrf_token": csrf_in(cart), "method": "cash"})
    assert "Bought 2 licenses." in bought.text
    assert "Your cart is empty" in client.get("/cart").text


def test_bins_keep_saved_items(client: TestClient, runtime: Runtime) -> None:
    shop = open_web_shop(runtime, photos=1)
    login(client, "bert")
    item_id = shop.photo_ids[0]
    page = client.get(f"/items/{item_id}").text
    client.post(f"/items/{item_id}/bin", data={"csrf_token": csrf_in(page), "new_bin": "Ideas"})
    bins = client.get("/bins").text
    bin_id = re.findall(r'href="/bins/(\d+)">Ideas</a>', bins)[0]
    assert _item_links(client.get(f"/bins/{bin_id}").text) == [item_id]


def test_pages_that_need_a_login_redirect_to_it(client: TestClient, runtime: Runtime) -> None:
    for path in ("/cart", "/bins", "/licenses", "/invoices"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_invoices_need_an_enterprise_group(client: TestClient, runtime: Runtime) -> None:
    open_web_shop(runtime, photos=0)
    login(client, "bert")
    response = client.get("/invoices")
    assert response.status_code == 403
    assert "enterprise groups" in response.text


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/static/site.css")
    assert css.status_code == 200
    assert ".visually-hidden" in css.text
