"""GET /v1/search and /v1/search/suggest over HTTP, on the catalog of conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role, User
from stockhouse.app import create_app
from tests.search.conftest import SEARCHABLE, SearchEnv, open_env
from tests.search.test_backends import BY_NAME as BY_NAME_ORDER

PASSWORD = "correct horse battery"


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[TestClient, SearchEnv]]:
    """The application over the catalog (default backend), with people who can log in."""
    with open_env(request, tmp_path_factory, sqlite_template, request.param, "tantivy") as env:
        with env.runtime.db.session() as session:
            accounts.create_user(session, username="root", password=PASSWORD, roles=[Role.ADMIN])
            accounts.create_user(session, username="bea", password=PASSWORD, roles=[Role.BUYER])
            carol = session.get(User, env.catalog.owners["carol"])
            assert carol is not None
            accounts.set_password(session, carol, PASSWORD)
        with TestClient(create_app(env.runtime), raise_server_exceptions=False) as client:
            yield client, env


def bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/v1/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def found(api: tuple[TestClient, SearchEnv], **params: Any) -> list[str]:
    client, env = api
    query = {key: value for key, value in {"limit": 100, **params}.items() if value is not None}
    response = client.get("/v1/search", params=query)
    assert response.status_code == 200, response.text
    return env.catalog.names([item["id"] for item in response.json()["items"]])


def error_of(api: tuple[TestClient, SearchEnv], path: str = "/v1/search", **params: Any) -> Any:
    client, _ = api
    response = client.get(path, params=params)
    return response.status_code, response.json()["error"]


# -- searching --------------------------------------------------------------------------


def test_search_without_parameters_lists_published_items_best_selling_first(
    api: tuple[TestClient, SearchEnv],
) -> None:
    client, env = api
    body = client.get("/v1/search").json()
    assert body["total"] == len(SEARCHABLE)
    assert (body["offset"], body["limit"], body["facets"]) == (0, 50, None)
    assert env.catalog.names([item["id"] for item in body["items"]])[:3] == [
        "aerial_city",
        "cat_sofa",
        "dog_park",
    ]


def test_an_item_has_its_fields(api: tuple[TestClient, SearchEnv]) -> None:
    client, env = api
    (item,) = client.get("/v1/search", params={"q": "statue", "tags": "true"}).json()["items"]
    assert item["id"] == env.catalog.id("statue")
    assert item["title"] == "Marble statue"
    assert item["owner"] == {"id": env.catalog.owners["alice"], "username": "alice"}
    assert (item["kind"], item["orientation"], item["color"]) == ("photo", "vertical", 17)
    assert (item["width"], item["height"], item["extension"]) == (2000, 3000, "jpg")
    assert (item["nudity"], item["status"], item["visible"]) == (True, "active", True)
    assert item["tags"] == ["statue", "art", "nude"]
    assert item["published_at"].startswith("2024-06-29T")


def test_text_and_filters(api: tuple[TestClient, SearchEnv]) -> None:
    assert found(api, q="dog", sort="id") == ["dog_park", "dog_beach"]
    assert found(api, kind="VIDEO,music", sort="id") == [
        "aerial_city",
        "ocean_waves",
        "clouds",
        "piano",
    ]
    assert found(api, orientation="square", color="2,4", sort="id") == ["dog_beach", "mountain"]
    assert found(api, editorial="true", sort="id") == ["harbour", "business_team", "ocean_waves"]
    assert found(api, size="xl", kind="video") == ["aerial_city"]
    assert found(api, gender="female") == ["morning_run"]
    assert found(api, extension=".EPS") == ["flowers"]
    assert found(api, exclude="dog,people", q="beach") == []


def test_field_terms_in_q(api: tuple[TestClient, SearchEnv]) -> None:
    assert found(api, q="editorial:1 sea") == ["ocean_waves"]


def test_dimensions_in_inches(api: tuple[TestClient, SearchEnv]) -> None:
    assert found(api, min_width=10, units="inch", sort="id") == [
        "dog_park",
        "lighthouse",
        "harbour",
        "morning_run",
        "castle",
        "aerial_city",
    ]


def test_published_interval(api: tuple[TestClient, SearchEnv]) -> None:
    params = {"published_from": "2024-01-31T00:00:00Z", "published_to": "2024-03-01T00:00:00+00:00"}
    assert found(api, sort="id", **params) == [
        "dog_beach",
        "lighthouse",
        "harbour",
        "red_car",
        "flowers",
    ]


def test_sort_as_a_comma_list(api: tuple[TestClient, SearchEnv]) -> None:
    assert found(api, sort="name") == BY_NAME_ORDER
    assert found(api, sort="-name") == list(reversed(BY_NAME_ORDER))
    assert found(api, sort="-best_sales,newest")[:3] == ["door_slam", "car_wheels", "red_car"]


def test_offset_and_limit(api: tuple[TestClient, SearchEnv]) -> None:
    assert found(api, sort="name", offset=2, limit=3) == BY_NAME_ORDER[2:5]


def test_page_and_per_page(api: tuple[TestClient, SearchEnv]) -> None:
    client, _ = api
    assert found(api, sort="name", page=2, per_page=4, limit=None) == BY_NAME_ORDER[4:8]
    body = client.get("/v1/search", params={"page": 3, "per_page": 5}).json()
    assert (body["offset"], body["limit"], body["total"]) == (10, 5, len(SEARCHABLE))


def test_facets(api: tuple[TestClient, SearchEnv]) -> None:
    client, env = api
    body = client.get("/v1/search", params={"q": "dog", "facets": "true", "limit": 1}).json()
    animals, nature = env.catalog.categories["animals"], env.catalog.categories["nature"]
    assert body["total"] == 2
    assert len(body["items"]) == 1
    assert body["facets"] == {
        "kind": {"photo": 2},
        "orientation": {"horizontal": 1, "square": 1},
        "color": {"4": 1, "2": 1},
        "category": {str(animals): 2, str(nature): 2},
    }


def test_translated_results(api: tuple[TestClient, SearchEnv]) -> None:
    client, _ = api
    params = {"q": "hund", "lang": "de", "translate": "true", "tags": "true"}
    (item,) = client.get("/v1/search", params=params).json()["items"]
    assert (item["title"], item["lang"], item["tags"]) == (
        "Hund läuft im Park",
        "de",
        ["hund", "park"],
    )


@pytest.mark.parametrize(
    "q", ['"', "(*:~^)", "AND OR NOT", "'; DROP TABLE media_item; --", "x" * 10_000, "日本語 🐶"]
)
def test_hostile_text_answers_normally(api: tuple[TestClient, SearchEnv], q: str) -> None:
    client, _ = api
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code == 200
    assert response.json()["total"] >= 0


# -- unpublished items ------------------------------------------------------------------


def test_unpublished_items_need_a_token(api: tuple[TestClient, SearchEnv]) -> None:
    status, error = error_of(api, status="archived")
    assert (status, error["code"]) == (401, "authentication_failed")


def test_an_admin_sees_every_status(api: tuple[TestClient, SearchEnv]) -> None:
    client, env = api
    response = client.get(
        "/v1/search",
        params={"status": "archived,pending", "visible": "any", "sort": "id"},
        headers=bearer(client, "root"),
    )
    assert env.catalog.names([i["id"] for i in response.json()["items"]]) == [
        "archived_dog",
        "pending_dog",
    ]


def test_a_reviewer_api_key_sees_hidden_items(api: tuple[TestClient, SearchEnv]) -> None:
    client, env = api
    with env.runtime.db.session() as session:
        reviewer = accounts.create_user(
            session, username="rev", password=None, roles=[Role.REVIEWER]
        )
        issued = accounts.create_credential(
            session, env.runtime.secrets, user=reviewer, api=ApiKind.NATIVE
        )
    headers = {"Authorization": f"Bearer {issued.key}"}
    response = client.get("/v1/search", params={"visible": "false"}, headers=headers)
    assert env.catalog.names([i["id"] for i in response.json()["items"]]) == ["hidden_cat"]


def test_a_contributor_sees_their_own_unpublished_items(api: tuple[TestClient, SearchEnv]) -> None:
    client, env = api
    carol = env.catalog.owners["carol"]
    headers = bearer(client, "carol")
    params = {"status": "any", "visible": "any", "author": carol, "sort": "id"}
    response = client.get("/v1/search", params=params, headers=headers)
    assert env.catalog.names([i["id"] for i in response.json()["items"]]) == [
        "dog_beach",
        "red_car",
        "business_team",
        "castle",
        "piano",
        "archived_dog",
        "rejected_car",
    ]
    others = client.get("/v1/search", params={"status": "any"}, headers=headers)
    assert others.status_code == 403
    assert others.json()["error"]["code"] == "permission_denied"


def test_a_buyer_may_not_see_unpublished_items(api: tuple[TestClient, SearchEnv]) -> None:
    client, _ = api
    response = client.get("/v1/search", params={"visible": "false"}, headers=bearer(client, "bea"))
    assert response.status_code == 403


# -- bad parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"sort": ",,"}, "sort"),
        ({"kind": "hologram"}, "kind"),
        ({"orientation": "diagonal"}, "orientation"),
        ({"color": "red"}, "color"),
        ({"color": "18"}, "color"),
        ({"size": "huge"}, "size"),
        ({"units": "furlong", "min_width": 3}, "min_width"),
        ({"gender": "robot"}, "gender"),
        ({"status": "lost"}, "status"),
        ({"visible": "maybe"}, "visible"),
        ({"author": "-3"}, "author"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"page": 0}, "page"),
        ({"per_page": 5000}, "per_page"),
        ({"page": 2, "offset": 10}, "page"),
        ({"min_width": 500, "max_width": 100}, "min_width"),
        ({"lang": "!!"}, "lang"),
    ],
)
def test_bad_parameters_answer_the_native_error(
    api: tuple[TestClient, SearchEnv], params: dict[str, Any], param: str
) -> None:
    status, error = error_of(api, **params)
    assert status == 400
    assert (error["code"], error["param"]) == ("invalid_parameter", param)
    assert error["request_id"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "ten"}, "limit"),
        ({"min_width": "wide"}, "min_width"),
        ({"min_width": "nan"}, "min_width"),
        ({"editorial": "perhaps"}, "editorial"),
        ({"published_from": "last tuesday"}, "published_from"),
        ({"published_from": "2024-01-01T00:00:00"}, "published_from"),
        ({"q": "x" * 10_001}, "q"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_parameter(
    api: tuple[TestClient, SearchEnv], params: dict[str, Any], param: str
) -> None:
    status, error = error_of(api, **params)
    assert (status, error["code"], error["param"]) == (400, "invalid_parameter", param)


def test_unknown_parameters_are_ignored(api: tuple[TestClient, SearchEnv]) -> None:
    assert found(api, q="dog", sort="id", _="1700000000") == ["dog_park", "dog_beach"]


def test_the_parameters_are_in_the_openapi_schema(api: tuple[TestClient, SearchEnv]) -> None:
    client, _ = api
    operation = client.get("/v1/openapi.json").json()["paths"]["/search"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "kind", "sort", "page", "per_page", "facets", "published_from"} <= names


# -- suggestions ------------------------------------------------------------------------


def test_suggestions(api: tuple[TestClient, SearchEnv]) -> None:
    client, _ = api
    body = client.get("/v1/search/suggest", params={"prefix": "B"}).json()
    assert body == {
        "prefix": "B",
        "suggestions": [
            {"tag": "beach", "count": 2},
            {"tag": "boats", "count": 1},
            {"tag": "business", "count": 1},
        ],
    }


def test_suggestions_in_a_language_with_a_limit(api: tuple[TestClient, SearchEnv]) -> None:
    client, _ = api
    body = client.get("/v1/search/suggest", params={"prefix": "p", "lang": "pl", "limit": 1}).json()
    assert body["suggestions"] == [{"tag": "pies", "count": 1}]


def test_suggestions_need_a_prefix(api: tuple[TestClient, SearchEnv]) -> None:
    status, error = error_of(api, "/v1/search/suggest")
    assert (status, error["code"]) == (422, "invalid_request")


@pytest.mark.parametrize(
    ("params", "param"),
    [({"limit": 0}, "limit"), ({"limit": 51}, "limit"), ({"lang": "??"}, "lang")],
)
def test_bad_suggestion_parameters(
    api: tuple[TestClient, SearchEnv], params: dict[str, Any], param: str
) -> None:
    status, error = error_of(api, "/v1/search/suggest", prefix="d", **params)
    assert (status, error["code"], error["param"]) == (400, "invalid_parameter", param)
