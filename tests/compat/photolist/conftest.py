"""Fixtures of the photo.list tests: a fixed clock, the photo catalog, logged-in clients."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.compat.photolist import auth
from stockhouse.runtime import Runtime
from tests.compat.photolist.support import NOW, Session, World, make_world


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "clock", lambda: float(NOW))


@pytest.fixture
def world(runtime: Runtime) -> World:
    return make_world(runtime)


@pytest.fixture
def reader(client: TestClient, world: World) -> Session:
    session = Session(client, *world.read)
    session.login()
    return session


@pytest.fixture
def no_grant(client: TestClient, world: World) -> Session:
    session = Session(client, *world.no_grant)
    session.login()
    return session
