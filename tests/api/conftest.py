"""Fixtures for the native API: an admin, a buyer, and their bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.runtime import Runtime

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Caller:
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> Caller:
    response = client.post("/v1/sessions", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    return Caller(username=username, token=response.json()["token"])


@pytest.fixture
def users(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        accounts.create_user(session, username="root", password=PASSWORD, roles=[Role.ADMIN])
        accounts.create_user(session, username="bea", password=PASSWORD, roles=[Role.BUYER])


@pytest.fixture
def admin(client: TestClient, users: None) -> Caller:
    return log_in(client, "root")


@pytest.fixture
def buyer(client: TestClient, users: None) -> Caller:
    return log_in(client, "bea")
