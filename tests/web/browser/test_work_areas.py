"""The work areas in a real browser: a contributor uploads, edits and submits; a reviewer
approves by keyboard; the item is found by search. A group admin opens an invoice PDF.
Every new page passes the accessibility check and fits a phone; the tour screenshots."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.factories import tiny_jpeg
from tests.web.browser.conftest import PHONE, LiveServer, log_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOUR = Path(__file__).resolve().parents[3] / "docs" / "tour"
GROUP_ADMIN = "dp-postpaid"  # the demo's postpaid group admin, with an invoice
CONTRIBUTOR_PAGES = (
    "/contribute",
    "/contribute/inbox",
    "/contribute/releases",
    "/contribute/earnings",
    "/contribute/api-code",
)
ADMIN_PAGES = (
    "/review",
    "/admin/users",
    "/admin/groups",
    "/admin/keys",
    "/admin/licenses",
    "/generate",
)
INDEX_WAIT_S = 15


def _as(page: Any, live_server: LiveServer, who: str) -> None:
    """Log in as the demo's "contributor" or "admin", or a Depositphotos demo user."""
    page.context.clear_cookies()
    if who in ("contributor", "admin"):
        account = live_server.credentials[who]
        log_in(page, live_server, account["username"], account["password"])
    else:
        log_in(page, live_server, who, live_server.password_of(who))


def _upload_one(page: Any, live_server: LiveServer, name: str) -> int:
    """Drop one JPEG made here on the upload form; the id of the item it became."""
    page.goto(live_server.url + "/contribute")
    picture = tiny_jpeg(640, 480, shade=int(time.time()) % 150 + 50)
    page.set_input_files(
        "#upload-files", files=[{"name": name, "mimeType": "image/jpeg", "buffer": picture}]
    )
    row = page.locator(".upload-row", has_text=name)
    row.and_(page.locator("[data-state=done]")).wait_for(timeout=30_000)
    return int(row.get_attribute("data-item-id"))


def _found_by_search(page: Any, live_server: LiveServer, word: str, item_id: int) -> bool:
    deadline = time.monotonic() + INDEX_WAIT_S
    while time.monotonic() < deadline:
        page.goto(f"{live_server.url}/search?q={word}")
        if page.locator(f'.grid a[href="/items/{item_id}"]').count():
            return True
        time.sleep(0.5)
    return False


def test_upload_submit_approve_by_keyboard_then_found_by_search(
    page: Any, live_server: LiveServer
) -> None:
    _as(page, live_server, "contributor")
    item_id = _upload_one(page, live_server, "zanzibar.jpg")
    page.goto(live_server.url + "/contribute")
    page.get_by_label(re.compile(f"^Select item {item_id}")).check()
    page.get_by_label("Title").fill("Zanzibar lighthouse")
    page.get_by_label("Tags (comma separated; replaces the tags)").fill("zanzibar, lighthouse")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector("text=Updated 1 item.")
    page.get_by_label(re.compile(f"^Select item {item_id}")).check()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("text=Sent 1 item to review.")
    assert page.locator(f"#item-{item_id} .status").inner_text() == "pending"

    _as(page, live_server, "admin")
    page.goto(live_server.url + "/review")
    for _ in range(60):  # j until our item is the current one
        if page.evaluate("document.activeElement.id") == f"review-{item_id}":
            break
        page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"review-{item_id}"
    page.keyboard.press("a")
    page.wait_for_selector(f"text=Item #{item_id} approved and published.")
    assert _found_by_search(page, live_server, "zanzibar", item_id)


def test_rejecting_by_keyboard_needs_a_reason(page: Any, live_server: LiveServer) -> None:
    _as(page, live_server, "contributor")
    item_id = _upload_one(page, live_server, "blurry.jpg")
    page.goto(live_server.url + "/contribute")
    page.get_by_label(re.compile(f"^Select item {item_id}")).check()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("text=Sent 1 item to review.")
    _as(page, live_server, "admin")
    page.goto(live_server.url + f"/review#review-{item_id}")
    page.locator(f"#review-{item_id}").focus()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.type("Out of focus")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"text=Item #{item_id} rejected.")


def test_group_admin_opens_the_invoice_pdf(page: Any, live_server: LiveServer) -> None:
    _as(page, live_server, GROUP_ADMIN)
    page.get_by_role("link", name="Group").click()
    link = page.locator("#invoices a.pdf-link").first
    href = link.get_attribute("href")
    answer = page.request.get(live_server.url + href)
    assert answer.status == 200
    assert answer.body()[:4] == b"%PDF"


def test_new_pages_are_accessible_and_fit_a_phone(page: Any, live_server: LiveServer) -> None:
    found: dict[str, list[str]] = {}
    overflow: dict[str, int] = {}

    def check(path: str) -> None:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(live_server.url + path)
        found[path] = serious_violations(page)
        page.set_viewport_size(PHONE)
        overflow[path] = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    _as(page, live_server, "contributor")
    for path in CONTRIBUTOR_PAGES:
        check(path)
    _as(page, live_server, "admin")
    for path in ADMIN_PAGES:
        check(path)
    _as(page, live_server, GROUP_ADMIN)
    check("/group")
    assert {p: v for p, v in found.items() if v} == {}
    assert {p: o for p, o in overflow.items() if o > 0} == {}


def test_the_generator_shows_progress_then_pictures(page: Any, live_server: LiveServer) -> None:
    _as(page, live_server, GROUP_ADMIN)
    page.goto(live_server.url + "/generate")
    page.get_by_label("Prompt").fill("a red kite over green hills")
    page.get_by_label("16:9").check()
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/generate/[0-9a-f-]{36}$"))
    page.wait_for_selector("a.tile-link", timeout=30_000)  # the script reloads when done
    assert page.locator("a.tile-link").count() == 4
    assert serious_violations(page) == []


@pytest.mark.tour
def test_tour_screenshots_of_the_work_areas(page: Any, live_server: LiveServer) -> None:
    """The screenshots of docs/web.md's work-area sections."""
    TOUR.mkdir(parents=True, exist_ok=True)
    _as(page, live_server, "contributor")
    for path, name in (
        ("/contribute", "contribute"),
        ("/contribute/earnings", "earnings"),
        ("/contribute/api-code", "api-code"),
    ):
        page.goto(live_server.url + path)
        page.screenshot(path=str(TOUR / f"{name}.png"), full_page=True)
    _as(page, live_server, "admin")
    for path, name in (("/review", "review"), ("/admin/keys", "admin"), ("/generate", "generate")):
        page.goto(live_server.url + path)
        page.screenshot(path=str(TOUR / f"{name}.png"))
    _as(page, live_server, GROUP_ADMIN)
    page.goto(live_server.url + "/group")
    page.screenshot(path=str(TOUR / "group.png"), full_page=True)
    assert (TOUR / "group.png").stat().st_size > 1000
