"""The three transports, the envelope errors and hostile bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from stockhouse.compat.photolist.transport import MAX_BODY_BYTES
from tests.compat.photolist.support import Session, World, md5, xml_answer

# The seed's own examples, verbatim (publish dates of 2011-05, visible photos).
SEED_GET = (
    "/api/get/photo.list/json/{auth}?fields[]=id&fields[]=title&fields[]=publish-date"
    "&fields[]=thumb-url&pager[page]=1&pager[max-per-page]=10&sort[publish-date]=desc"
    "&sort[title]=asc&filter[visible]=1&filter[publish-date-interval][start]=2011-05-01T00:00:00+00:00"
    "&filter[publish-date-interval][end]=2011-05-31T00:00:00+00:00"
)
SEED_REQUEST = {
    "fields": ["id", "title", "publish-date", "thumb-url"],
    "pager": {"page": 1, "max-per-page": 10},
    "sort": {"publish-date": "desc", "title": "asc"},
    "filter": {
        "visible": True,
        "publish-date-interval": {
            "start": "2011-05-01T00:00:00+00:00",
            "end": "2011-05-31T23:59:59+00:00",
        },
    },
}
SEED_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<xml>
	<method>photo.list</method>
	<request>
		<fields>id</fields>
		<fields>title</fields>
		<fields>publish-date</fields>
		<fields>thumb-url</fields>
		<pager>
			<page>1</page>
			<max-per-page>10</max-per-page>
		</pager>
		<sort>
			<publish-date>desc</publish-date>
			<title>asc</title>
		</sort>
		<filter>
			<visible>true</visible>
			<publish-date-interval>
				<start>2011-05-01T00:00:00+00:00</start>
				<end>2011-05-31T23:59:59+00:00</end>
			</publish-date-interval>
		</filter>
	</request>
	{auth}
</xml>"""
SEED_XML_REQUEST = {
    "fields": ["id", "title", "publish-date", "thumb-url"],
    "pager": {"page": "1", "max-per-page": "10"},
    "sort": {"publish-date": "desc", "title": "asc"},
    "filter": {
        "visible": "true",
        "publish-date-interval": {
            "start": "2011-05-01T00:00:00+00:00",
            "end": "2011-05-31T23:59:59+00:00",
        },
    },
}
SEED_GET_REQUEST = {
    "fields": ["id", "title", "publish-date", "thumb-url"],
    "pager": {"page": "1", "max-per-page": "10"},
    "sort": {"publish-date": "desc", "title": "asc"},
    "filter": {
        "visible": "1",
        "publish-date-interval": {
            "start": "2011-05-01T00:00:00 00:00",
            "end": "2011-05-31T00:00:00 00:00",
        },
    },
}


def error_of(answer: dict[str, object]) -> tuple[object, object]:
    assert answer["status"] == "error"
    assert set(answer) == {"status", "code", "message"}
    return answer["code"], answer["message"]


def _signed_hmac(reader: Session, request: object) -> str:
    from tests.compat.photolist.support import php_serialize

    return md5(reader.nonce + "photo.list" + php_serialize(request) + reader.secret)


def test_seed_examples_give_the_same_photos_in_each_transport(
    client: TestClient, world: World, reader: Session
) -> None:
    ids = world.ids
    expected = [ids["daddy"], ids["butterfly"]]  # visible, May 2011, newest first

    body = json.dumps(
        {
            "method": "photo.list",
            "request": SEED_REQUEST,
            "token": reader.token,
            "hmac": _signed_hmac(reader, SEED_REQUEST),
        }
    )
    by_json = client.post("/api/json/", content=body).json()
    reader.nonce = by_json["nonce"]
    assert [p["id"] for p in by_json["response"]["photo"]] == expected

    auth = f"<token>{reader.token}</token><hmac>{_signed_hmac(reader, SEED_XML_REQUEST)}</hmac>"
    by_xml = xml_answer(client.post("/api/xml/", content=SEED_XML.format(auth=auth)).content)
    reader.nonce = by_xml["nonce"]
    assert [int(p["id"]) for p in by_xml["response"]["photo"]] == expected

    auth = f"token:{reader.token}/hmac:{_signed_hmac(reader, SEED_GET_REQUEST)}/"
    by_get = client.get(SEED_GET.format(auth=auth)).json()
    assert by_get["status"] == "valid", by_get
    # The seed's GET end is 2011-05-31T00:00:00: the same two photos.
    assert [p["id"] for p in by_get["response"]["photo"]] == expected
    assert by_get["response"] == by_json["response"]


def test_xml_answer_is_the_json_answer_with_text_values(reader: Session, world: World) -> None:
    request = {"fields": ["id", "title", "visible", "publish-date"], "sort": {"id": "asc"}}
    by_json = reader.call("photo.list", request, "json")["response"]
    by_xml = reader.call("photo.list", request, "xml")["response"]
    as_text = [
        {k: str(int(v)) if isinstance(v, bool) else str(v) for k, v in p.items()}
        for p in by_json["photo"]
    ]
    assert by_xml["photo"] == as_text


def test_get_form_answers_xml_when_the_format_is_xml(reader: Session) -> None:
    answer = reader.call("photo.count", {}, "get", output="xml")
    assert answer["status"] == "valid"
    assert answer["response"] == {"total": "5"}


def test_xml_document_is_one_line_with_the_declaration(client: TestClient) -> None:
    response = client.post("/api/xml/", content=b"<xml><method>photo.size</method><request/></xml>")
    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?><xml><status>error</status>'
        "<code>unauthorized</code><message>You do not have the necessary rights to use the "
        "`photo.size` method.</message></xml>"
    )


def test_empty_list_is_an_empty_response(reader: Session) -> None:
    request = {
        "fields": ["id"],
        "filter": {"publish-date-interval": {"start": "2030-01-01T00:00:00Z"}},
    }
    assert reader.call("photo.list", request)["response"] == []
    xml = reader.call("photo.list", request, "xml")
    assert xml["response"] == ""


def test_form_post_to_the_get_endpoint(client: TestClient, reader: Session) -> None:
    request = {"fields": ["id"], "pager": {"page": "1", "max-per-page": "2"}}
    extra = reader.signed("photo.list", request, "get")
    form = "fields[]=id&pager[page]=1&pager[max-per-page]=2"
    response = client.post(
        f"/api/get/photo.list/json/token:{extra['token']}/hmac:{extra['hmac']}/",
        content=form,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert [p["id"] for p in response.json()["response"]["photo"]] == [1, 2]


# -- envelope errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "code", "message"),
    [
        ("/api/json/", b"", "no_request", "Your request is empty."),
        ("/api/json/", b"  \n", "no_request", "Your request is empty."),
        ("/api/xml/", b"", "no_request", "Your request is empty."),
        (
            "/api/json/",
            b"{not json",
            "bad_encoding",
            "The JSON request contains invalid formatting.",
        ),
        (
            "/api/json/",
            b'{"method": NaN}',
            "bad_encoding",
            "The JSON request contains invalid formatting.",
        ),
        ("/api/json/", b"\xff\xfe{}", "bad_encoding", "The request is not valid UTF-8."),
        (
            "/api/xml/",
            b"<xml><method>",
            "bad_encoding",
            "The XML request contains invalid formatting.",
        ),
        (
            "/api/json/",
            b'{"request": {}}',
            "no_method",
            "The request need to provide a `method` field.",
        ),
        ("/api/json/", b"[1, 2]", "no_method", "The request need to provide a `method` field."),
        (
            "/api/json/",
            b'{"method": "photo.list"}',
            "no_request",
            "The request need to provide a `request` field.",
        ),
        (
            "/api/json/",
            b'{"method": " ", "request": {}}',
            "empty_method",
            "The method field is empty.",
        ),
        (
            "/api/json/",
            b'{"method": "photo.burn", "request": {}}',
            "bad_method",
            "The requested method 'photo.burn' is unsupported.",
        ),
        (
            "/api/json/",
            b'{"method": ["x"], "request": {}}',
            "bad_method",
            "The requested method '['x']' is unsupported.",
        ),
        (
            "/api/xml/",
            b"<xml><request/></xml>",
            "no_method",
            "The request need to provide a `method` field.",
        ),
        (
            "/api/xml/",
            b"<xml><method>photo.nope</method><request/></xml>",
            "bad_method",
            "The requested method 'photo.nope' is unsupported.",
        ),
    ],
)
def test_envelope_errors(
    client: TestClient, path: str, body: bytes, code: str, message: str
) -> None:
    response = client.post(path, content=body)
    assert response.status_code == 200
    answer = xml_answer(response.content) if path == "/api/xml/" else response.json()
    assert error_of(answer) == (code, message)


def test_get_without_a_method_is_no_method(client: TestClient) -> None:
    answer = client.get("/api/get/").json()
    assert error_of(answer) == ("no_method", "The request need to provide a `method` field.")


def test_get_with_bad_utf8_is_bad_encoding(client: TestClient) -> None:
    assert (
        error_of(client.get("/api/get/photo.list/json/?fields[]=%ff").json())[0] == "bad_encoding"
    )
    assert (
        error_of(client.get("/api/get/photo.list/json/token:%ff/hmac:x/").json())[0]
        == "bad_encoding"
    )


def test_other_api_urls_get_the_plain_text_hint(client: TestClient) -> None:
    response = client.get("/api/")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == (
        "ERROR: Bad url format, please use:\n- http://testserver/api/json/\n"
        "- http://testserver/api/xml/\n- http://testserver/api/get/\n"
    )


# -- hostile bodies ---------------------------------------------------------------------


def test_external_entity_is_refused_unread(client: TestClient, tmp_path: object) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<xml><method>&x;</method><request/></xml>"
    )
    answer = xml_answer(client.post("/api/xml/", content=body).content)
    assert answer["code"] == "bad_encoding"
    assert "root:" not in json.dumps(answer)


def test_billion_laughs_is_refused(client: TestClient) -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE xml [<!ENTITY l0 "lol">{entities}]>'
    body = f'<?xml version="1.0"?>{doctype}<xml><method>&l9;</method><request/></xml>'
    answer = xml_answer(client.post("/api/xml/", content=body.encode()).content)
    assert (answer["status"], answer["code"]) == ("error", "bad_encoding")


def test_deeply_nested_xml_is_refused(client: TestClient) -> None:
    body = (
        "<xml><method>photo.list</method><request>"
        + "<a>" * 5000
        + "</a>" * 5000
        + "</request></xml>"
    )
    answer = xml_answer(client.post("/api/xml/", content=body.encode()).content)
    assert answer["code"] == "bad_encoding"


def test_deeply_nested_json_is_refused(client: TestClient) -> None:
    body = '{"method": "photo.list", "request": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert error_of(client.post("/api/json/", content=body).json())[0] == "bad_encoding"


@pytest.mark.parametrize("path", ["/api/json/", "/api/xml/"])
def test_huge_body_is_refused_in_the_api_form(client: TestClient, path: str) -> None:
    response = client.post(path, content=b" " * (MAX_BODY_BYTES + 1))
    answer = xml_answer(response.content) if path == "/api/xml/" else response.json()
    assert error_of(answer) == (
        "bad_request",
        f"The request is larger than {MAX_BODY_BYTES} bytes.",
    )


def test_huge_streamed_body_is_refused_without_a_length(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 65536

    response = client.post("/api/json/", content=chunks())
    assert error_of(response.json())[0] == "bad_request"


def test_too_many_form_fields_is_bad_request(client: TestClient) -> None:
    query = "&".join(f"a{i}=1" for i in range(1200))
    assert error_of(client.get(f"/api/get/photo.list/json/?{query}").json())[0] == "bad_request"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"fields": ["id\x00"]}, "Field `fields` need to be one of this value: "),
        ({"fields": ["../../etc/passwd"]}, "Field `fields` need to be one of this value: "),
        ({"fields": ["id"], "sort": {"title": ["asc"]}}, "Field `sort::title` need to be one "),
        ({"fields": ["id"], "sort": {"title'--": "asc"}}, "Field `sort` need to be one of this "),
        ({"fields": ["id"], "filter": {"visible": ["1"]}}, "The specified `visible` is not valid"),
        (
            {"fields": ["id"], "pager": {"page": "1e9999", "max-per-page": "2"}},
            "The specified `pager::page` is not valid.",
        ),
        (
            {"fields": ["id"], "pager": {"page": "-1", "max-per-page": "2"}},
            "Field `pager::page` need to be a number between 1 and 1000000000.",
        ),
        (
            {"fields": ["id"], "filter": {"publish-date-interval": {"start": ["2011"]}}},
            "The specified `start` is not valid : required RFC3339 date.",
        ),
    ],
)
def test_hostile_query_parameters_are_bad_data(
    reader: Session, request_: dict[str, object], message: str
) -> None:
    answer = reader.call("photo.list", request_, "get")
    assert (answer["status"], answer["code"]) == ("error", "bad_data")
    assert answer["message"].startswith(message)


@pytest.mark.parametrize("photo_id", ["http://169.254.169.254/latest", "../1", "1;2", "0x10"])
def test_hostile_photo_ids_are_bad_data(reader: Session, photo_id: str) -> None:
    answer = reader.call("photo.get", {"id": photo_id, "fields": ["id"]}, "get")
    assert (answer["status"], answer["code"]) == ("error", "bad_data")
    assert answer["message"] == "The specified `id` is not valid."
