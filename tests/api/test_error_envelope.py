"""Every native API failure has the one error shape, and every error code is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.api.errors import ERROR_CODES
from tests.api.conftest import Caller

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"

# (method, path, json body or raw bytes, who calls, expected status, expected code)
FAILURES: list[tuple[str, str, Any, str, int, str]] = [
    ("GET", "/v1/me", None, "nobody", 401, "authentication_failed"),
    ("GET", "/v1/me", None, "bad-token", 401, "authentication_failed"),
    ("GET", "/v1/users", None, "buyer", 403, "permission_denied"),
    ("GET", "/v1/users/999999", None, "admin", 404, "not_found"),
    ("GET", "/v1/no-such-route", None, "admin", 404, "not_found"),
    ("PUT", "/v1/me", None, "admin", 405, "method_not_allowed"),
    ("POST", "/v1/sessions", b"{not json", "nobody", 400, "malformed_json"),
    ("POST", "/v1/sessions", {"username": 5}, "nobody", 422, "invalid_request"),
    ("POST", "/v1/sessions", ["a", "list"], "nobody", 422, "invalid_request"),
    ("POST", "/v1/users", {"username": "bea", "password": "long enough"}, "admin", 409, "conflict"),
    (
        "POST",
        "/v1/users",
        {"username": "x" * 65, "password": "long"},
        "admin",
        422,
        "invalid_request",
    ),
    (
        "POST",
        "/v1/users",
        {"username": "ok", "password": "short"},
        "admin",
        400,
        "invalid_parameter",
    ),
    ("GET", "/v1/users?limit=100000", None, "admin", 422, "invalid_request"),
    ("GET", "/v1/users/not-a-number", None, "admin", 422, "invalid_request"),
    ("POST", "/v1/apikeys", {"grants": ["superuser"]}, "buyer", 400, "invalid_parameter"),
    ("POST", "/v1/apikeys", {"api": "ftp"}, "buyer", 422, "invalid_request"),
    ("DELETE", "/v1/sessions/current", None, "apikey", 400, "invalid_parameter"),
]


@pytest.fixture
def callers(client: TestClient, admin: Caller, buyer: Caller) -> dict[str, dict[str, str]]:
    key = client.post("/v1/apikeys", json={}, headers=buyer.headers).json()["key"]
    return {
        "nobody": {},
        "bad-token": {"Authorization": "Bearer shk_' OR 1=1 --"},
        "admin": admin.headers,
        "buyer": buyer.headers,
        "apikey": {"Authorization": f"Bearer {key}"},
    }


@pytest.mark.parametrize(("method", "path", "body", "who", "status", "code"), FAILURES)
def test_failure_answers_the_error_envelope(
    client: TestClient,
    callers: dict[str, dict[str, str]],
    method: str,
    path: str,
    body: Any,
    who: str,
    status: int,
    code: str,
) -> None:
    kwargs: dict[str, Any] = {"headers": dict(callers[who])}
    if isinstance(body, bytes):
        kwargs["content"] = body
        kwargs["headers"]["content-type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text


def test_every_code_of_the_table_is_exercised_or_reserved() -> None:
    exercised = {row[5] for row in FAILURES}
    exercised.add("internal_error")  # test_unexpected_error_is_a_500_envelope_without_traceback
    reserved_for_later_capabilities = {"insufficient_funds", "rate_limited", "payload_too_large"}
    assert set(ERROR_CODES) == exercised | reserved_for_later_capabilities


def test_every_error_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", API_DOC.read_text(), re.MULTILINE))
    assert set(ERROR_CODES) <= documented


def test_every_native_route_is_documented(client: TestClient) -> None:
    spec = client.get("/v1/openapi.json").json()
    text = API_DOC.read_text()
    for path, operations in spec["paths"].items():
        for method in operations:
            assert f"`{method.upper()} /v1{path}`" in text, f"{method.upper()} /v1{path}"


def test_unexpected_error_is_a_500_envelope_without_traceback(
    client: TestClient, admin: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stockhouse.accounts import service

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "list_users", broken)
    response = client.get("/v1/users", headers=admin.headers)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert error["request_id"] in error["message"]
    assert "secret internals" not in response.text
