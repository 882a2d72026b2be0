"""Browser fixtures: a live server over a small real-media demo catalog, Playwright driving
the system Chromium (Debian's, from `make browser-deps`; never a downloaded browser), a
screenshot in test-artifacts/ when a test fails, and an axe-core accessibility check.

Without Chromium the tests are skipped with a reason naming Chromium; under CI=true they
fail instead (like tests/conftest.py's require_service), and .ci/run checks the log too.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from stockhouse.app import create_app
from stockhouse.config import load_settings
from stockhouse.db.migrate import upgrade_to_head
from stockhouse.demo import build_demo
from stockhouse.runtime import Runtime

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
DEMO_ITEMS = 8  # photos, a vector, video and audio: every kind of tile
SERIOUS_IMPACTS = ("serious", "critical")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str:
    """The system Chromium, or skip (fail under CI) saying Chromium is missing."""
    found = os.environ.get("STOCKHOUSE_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    message = "Chromium is not installed (make browser-deps installs Debian's chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests: {message}")
    pytest.skip(message)


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime
    credentials: dict[str, Any]

    def password_of(self, login: str) -> str:
        for user in self.credentials["depositphotos"]["users"]:
            if user["login"] == login:
                return str(user["password"])
        raise KeyError(login)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn in a thread over a demo data dir (SQLite, Tantivy, real media); the
    ingest of the demo catalog runs before the server starts, so nothing waits on jobs."""
    chromium_path()  # no browser, no need for a server
    data_dir = tmp_path_factory.mktemp("web-live")
    runtime = Runtime(load_settings({"data_dir": str(data_dir)}, environ={}))
    upgrade_to_head(runtime.db)
    credentials_path = build_demo(runtime, items=DEMO_ITEMS)
    runtime.search.rebuild()
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime, run_workers=True), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the live server did not start"
    yield LiveServer(f"http://127.0.0.1:{port}", runtime, json.loads(credentials_path.read_text()))
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_failed_key] = report.failed
    return report


_failed_key = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context at desktop size; its screenshot is kept when the test fails."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.goto(live_server.url + "/")
    yield tab
    if request.node.stash.get(_failed_key, False):
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Any, live_server: LiveServer, username: str, password: str) -> None:
    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("text=Signed in as")


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results.response["violations"]
        if violation.get("impact") in SERIOUS_IMPACTS
    ]
