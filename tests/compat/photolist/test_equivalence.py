"""The same call in every transport and answer format says the same thing.

A call goes as a JSON body, an XML body, or the GET form answering JSON or XML. The JSON
answer is the reference; an XML answer is the same document with every value as text
(booleans 1/0, an empty list an empty element), and errors keep their code and message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from stockhouse.compat.photolist import METHODS, ApiMethod, auth
from tests.compat.photolist.support import NOW, Session, World, send

# (transport, answer format) of every way a call can travel, besides the reference JSON body.
WAYS = [("xml", "xml"), ("get", "json"), ("get", "xml")]
MAY = {"start": "2011-05-01T00:00:00Z", "end": "2011-05-31T23:59:59Z"}
PLAIN_FIELDS = ["id", "filename", "title", "description", "publish-date", "visible"]
URL_FIELDS = ["thumb-url", "resized-url", "original-url"]


def as_xml_text(value: Any) -> Any:
    """The JSON answer as an XML answer reads back: text values, `[]` an empty element."""
    if isinstance(value, dict):
        return {key: as_xml_text(child) for key, child in value.items()}
    if isinstance(value, list):
        return [as_xml_text(child) for child in value] if value else ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def without_signatures(value: Any) -> Any:
    """URLs without their query: a signed link's expiry moves with the clock's second."""
    if isinstance(value, dict):
        return {key: without_signatures(child) for key, child in value.items()}
    if isinstance(value, list):
        return [without_signatures(child) for child in value]
    if isinstance(value, str) and value.startswith("http"):
        return urlsplit(value)._replace(query="").geturl()
    return value


def core(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without the per-call nonce and hmac."""
    kept: dict[str, Any] = without_signatures(
        {k: v for k, v in answer.items() if k not in ("nonce", "hmac")}
    )
    return kept


CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "list every plain field, two sort keys, a page": (
        "photo.list",
        {
            "fields": PLAIN_FIELDS,
            "sort": {"title": "asc", "id": "desc"},
            "pager": {"page": 1, "max-per-page": 4},
        },
    ),
    "list urls of visible photos of May": (
        "photo.list",
        {"fields": ["id", *URL_FIELDS], "filter": {"visible": True, "publish-date-interval": MAY}},
    ),
    "list the hidden ones, newest first": (
        "photo.list",
        {
            "fields": ["id", "title", "visible", "publish-date"],
            "filter": {"visible": False},
            "sort": {"publish-date": "desc"},
        },
    ),
    "list nothing": (
        "photo.list",
        {"fields": ["id"], "filter": {"publish-date-interval": {"start": "2030-01-01T00:00:00Z"}}},
    ),
    "count May": ("photo.count", {"filter": {"publish-date-interval": MAY}}),
    "sizes": ("photo.size", {}),
    "bad date": (
        "photo.list",
        {"fields": ["id"], "filter": {"publish-date-interval": {"end": "31/05/2011"}}},
    ),
    "unknown sort key": ("photo.list", {"fields": ["id"], "sort": {"price": "asc"}}),
    "no fields": ("photo.list", {"pager": {"page": 1, "max-per-page": 2}}),
}


@pytest.mark.parametrize("way", WAYS, ids=["xml-body", "get-json", "get-xml"])
@pytest.mark.parametrize("call", list(CALLS))
def test_every_transport_answers_what_the_json_body_answers(
    reader: Session, world: World, call: str, way: tuple[str, str]
) -> None:
    method, request = CALLS[call]
    reference = core(reader.call(method, request))
    answer = core(reader.call(method, request, way[0], output=way[1]))
    assert answer == (as_xml_text(reference) if way[1] == "xml" else reference)


def test_photo_get_of_markup_and_unicode_is_the_same_in_every_form(
    reader: Session, world: World
) -> None:
    request = {"id": world.ids["omega"], "fields": ["title", "description", "visible"]}
    reference = reader.call("photo.get", request)["response"]
    assert reference == {"title": "Ωmega 'quoted' <b>", "description": "ü", "visible": False}
    for transport, output in WAYS:
        answer = reader.call("photo.get", request, transport, output=output)["response"]
        assert answer == (as_xml_text(reference) if output == "xml" else reference)


# -- errors of the protocol, in every form ----------------------------------------------

EVERY_WAY = [("json", "json"), *WAYS]


def _error(answer: dict[str, Any]) -> tuple[str, str, str]:
    assert set(answer) == {"status", "code", "message"}, answer
    return answer["status"], answer["code"], answer["message"]


@pytest.mark.parametrize("way", EVERY_WAY, ids=["json", "xml-body", "get-json", "get-xml"])
def test_auth_errors_are_the_same_in_every_form(
    client: TestClient, reader: Session, monkeypatch: pytest.MonkeyPatch, way: tuple[str, str]
) -> None:
    transport, output = way
    request = {"fields": ["id"]}

    def call(extra: dict[str, str] | None) -> tuple[str, str, str]:
        return _error(send(client, transport, "photo.list", request, extra, output))

    assert call(None) == (
        "error",
        "unauthorized",
        "You do not have the necessary rights to use the `photo.list` method.",
    )
    assert call({"token": "0" * 32, "hmac": "0" * 32}) == (
        "error",
        "bad_token",
        "The token is not valid.",
    )
    assert call({"token": reader.token, "hmac": "0" * 32}) == (
        "error",
        "bad_hmac",
        "The hmac is not valid.",
    )
    signed = reader.signed("photo.list", request, transport)
    monkeypatch.setattr(auth, "clock", lambda: float(NOW + 300))
    assert call(signed) == ("error", "old_token", "The token has expired.")


@pytest.mark.parametrize("way", EVERY_WAY, ids=["json", "xml-body", "get-json", "get-xml"])
def test_an_unexpected_failure_is_the_unknown_error_without_details(
    reader: Session, monkeypatch: pytest.MonkeyPatch, way: tuple[str, str]
) -> None:
    def broken(*_: object) -> object:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setitem(METHODS, "photo.size", ApiMethod(broken, auth.READ_GRANT))
    answer = reader.call("photo.size", {}, way[0], output=way[1])
    assert _error(answer) == ("error", "unknown", "Unknown error.")


@pytest.mark.parametrize("path", ["/api/foo", "/api/v2/photos", "/api/json/extra/segments"])
def test_other_api_urls_get_the_hint_of_the_real_software(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("ERROR: Bad url format, please use:\n")


def test_the_hint_does_not_hide_the_image_list_api(client: TestClient) -> None:
    response = client.get("/api/2/images")
    assert (response.status_code, response.json()) == (
        401,
        {"ref": 401, "summary": "Invalid token"},
    )
