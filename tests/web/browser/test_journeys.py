"""The buyer's journeys in a real browser (Chromium through Playwright), the phone layout,
accessibility of every buyer page, and the screenshots of docs/web.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser.conftest import PHONE, LiveServer, log_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MEMBER = "dp-member"  # the demo's prepaid group member, with money to spend
TOUR = Path(__file__).resolve().parents[3] / "docs" / "tour"


def _member(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, MEMBER, live_server.password_of(MEMBER))


def _first_photo(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/search?kind=photo")
    page.locator(".grid .tile-link").first.click()
    page.wait_for_selector("#buy-form")


def test_search_with_filters_license_and_download_the_image(
    page: Any, live_server: LiveServer
) -> None:
    _member(page, live_server)
    page.goto(live_server.url + "/search")
    page.get_by_role("checkbox", name="Photos").check()  # applies at once (site.js)
    page.wait_for_url(re.compile(r"kind=photo"))
    page.get_by_role("checkbox", name="Horizontal").check()
    page.wait_for_url(re.compile(r"orientation=horizontal"))
    assert "kind=photo" in page.url
    page.locator(".grid .tile-link").first.click()
    page.wait_for_selector("#buy-form")
    page.get_by_role("button", name="License now").click()
    page.wait_for_selector("text=Licensed. Your download is ready below.")
    with page.expect_download() as started:
        page.locator("a", has_text="Download").first.click()
    path = started.value.path()
    data = Path(path).read_bytes()
    assert data[:3] == b"\xff\xd8\xff"  # the licensed JPEG itself
    assert len(data) > 1000


def test_sign_up_log_out_and_log_in_again(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/signup")
    page.get_by_label("buy and download media").check()
    page.get_by_label("Username").fill("browser-buyer")
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_selector("text=Welcome to Stockhouse, browser-buyer.")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_selector("text=You are logged out.")
    log_in(page, live_server, "browser-buyer", "a long enough password")
    assert page.locator(".site-footer strong").inner_text() == "browser-buyer"


def test_a_form_without_its_csrf_token_is_refused(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Username").fill(MEMBER)
    page.get_by_label("Password").fill(live_server.password_of(MEMBER))
    with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 403
    assert page.locator("h1").inner_text() == "Form expired"


@pytest.mark.parametrize("path", ["/", "/search?q=sky", "/login", "/signup"])
def test_phone_width_has_no_horizontal_scroll(
    page: Any, live_server: LiveServer, path: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_buyer_pages_have_no_serious_accessibility_violations(
    page: Any, live_server: LiveServer
) -> None:
    found: dict[str, list[str]] = {}
    for path in ("/", "/search?kind=photo&color=9", "/login", "/signup"):
        page.goto(live_server.url + path)
        found[path] = serious_violations(page)
    _member(page, live_server)
    _first_photo(page, live_server)
    found["item"] = serious_violations(page)
    for path in ("/cart", "/bins", "/licenses", "/invoices"):
        page.goto(live_server.url + path)
        found[path] = serious_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


def test_keyboard_reaches_the_search_box_and_results(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "header-q"
    page.keyboard.type("photo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=photo"))


@pytest.mark.tour
def test_tour_screenshots(page: Any, live_server: LiveServer) -> None:
    """The screenshots of docs/web.md (run in CI too, so the tour stays current)."""
    TOUR.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + "/")
    page.screenshot(path=str(TOUR / "search.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(TOUR / "search-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    _member(page, live_server)
    _first_photo(page, live_server)
    page.screenshot(path=str(TOUR / "item.png"))
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector("text=Added to your cart.")
    page.screenshot(path=str(TOUR / "cart.png"))
    page.get_by_role("button", name=re.compile("^Buy ")).click()
    page.wait_for_selector("text=Bought")
    page.screenshot(path=str(TOUR / "licenses.png"))
    assert (TOUR / "licenses.png").stat().st_size > 1000
