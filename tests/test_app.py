"""The application around the APIs: health, metrics, request ids, docs, home page."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from stockhouse.app import create_app
from stockhouse.config import load_settings
from stockhouse.runtime import Runtime


def test_healthz_is_ok_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: pytest.TempPathFactory) -> None:
    settings = load_settings(
        {"data_dir": str(tmp_path), "database_url": "postgresql://nobody@127.0.0.1:1/none"},
        environ={},
    )
    runtime = Runtime(settings)
    with TestClient(create_app(runtime)) as client:
        response = client.get("/healthz")
    runtime.close()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert first != second


def test_a_sane_incoming_request_id_is_kept(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"


def test_a_hostile_incoming_request_id_is_replaced(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": 'x" onload=alert(1) ' + "y" * 80})
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


def test_metrics_count_requests_by_surface_and_status(client: TestClient) -> None:
    def count() -> float:
        text = client.get("/metrics").text
        match = re.search(
            r'^stockhouse_http_requests_total\{method="GET",status="401",surface="v1"\} (\S+)$',
            text,
            re.MULTILINE,
        )
        return float(match.group(1)) if match else 0.0

    before = count()
    client.get("/v1/me")
    client.get("/v1/me")
    assert count() == before + 2


def test_docs_page_points_at_the_openapi_schema(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/v1/openapi.json" in page
    assert "cdn." not in page  # works offline
    spec = client.get("/v1/openapi.json").json()
    assert spec["info"]["title"] == "Stockhouse native API"
    assert "/me" in spec["paths"]


def test_home_page_is_html(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    assert "Stockhouse" in response.text


def test_docs_assets_are_served_locally(client: TestClient) -> None:
    response = client.get("/docs/assets/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.text
