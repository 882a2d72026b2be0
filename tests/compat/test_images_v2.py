"""CMS Image List API v2 on the wire: GET /api/2/images, JSON and XML, seed 004's shapes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role
from stockhouse.catalog import workflow
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.compat.images_v2 import format_date, format_size
from stockhouse.ingest.pipeline import ingest_now, receive_upload
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, tiny_jpeg

XML = {"Accept": "application/xml"}


def tiny_png(shade: int) -> bytes:
    import pyvips

    image = (pyvips.Image.black(64, 48, bands=3) + shade).cast("uchar")
    data: bytes = image.pngsave_buffer()
    return data


@dataclass(frozen=True)
class Catalog:
    """Three listed images (harbour, zebra, apple: archived), one pending, and tokens."""

    harbour: int  # olga, jpg, active, approved by the admin
    zebra: int  # zed, png, untitled, active, approved by the reviewer
    apple: int  # olga, jpg, archived, hostile title
    pending: int
    olga: int
    zed: int
    admin: int
    tokens: dict[str, str]


def _user(runtime: Runtime, name: str, roles: list[Role], first: str = "", last: str = "") -> int:
    with runtime.db.session() as session:
        user = accounts.create_user(session, username=name, password=PASSWORD, roles=roles)
        user.first_name, user.last_name = first, last
        return user.id


def _ingest(runtime: Runtime, owner: int, data: bytes, filename: str) -> int:
    upload = receive_upload(runtime, owner, io.BytesIO(data), filename, enqueue=False)
    item_id = ingest_now(runtime, upload.id).item_id
    assert item_id is not None
    return item_id


def _token(runtime: Runtime, user_id: int, api: ApiKind = ApiKind.IMAGES_V2, **kw: Any) -> str:
    with runtime.db.session() as session:
        user = accounts.get_user(session, user_id)
        return accounts.create_credential(session, runtime.secrets, user=user, api=api, **kw).key


def _publish(runtime: Runtime, item_id: int, reviewer: int, *, archive: bool = False) -> None:
    with runtime.db.session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        owner = accounts.get_user(session, item.owner_id)
        workflow.submit(session, owner, item)
        workflow.approve(session, accounts.get_user(session, reviewer), item)
        if archive:
            workflow.archive(session, owner, item)


def _stamp(runtime: Runtime, item_id: int, title: str, created: str, modified: str) -> None:
    def moment(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    with runtime.db.session() as session:
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == item_id)
            .values(title=title, created_at=moment(created), updated_at=moment(modified))
        )


@pytest.fixture
def catalog(runtime: Runtime) -> Catalog:
    olga = _user(runtime, "olga", [Role.CONTRIBUTOR], "Olga", "Owner")
    zed = _user(runtime, "zed", [Role.CONTRIBUTOR])
    admin = _user(runtime, "cms", [Role.ADMIN], "Ada", "Admin")
    rita = _user(runtime, "rita", [Role.REVIEWER])
    bert = _user(runtime, "bert", [Role.BUYER])
    harbour = _ingest(runtime, olga, tiny_jpeg(shade=40), "harbour.jpg")
    zebra = _ingest(runtime, zed, tiny_png(120), "Zebra-crossing.png")
    apple = _ingest(runtime, olga, tiny_jpeg(shade=200), "apple.jpg")
    pending = _ingest(runtime, olga, tiny_jpeg(shade=240), "pending.jpg")
    _publish(runtime, harbour, admin)
    _publish(runtime, zebra, rita)
    _publish(runtime, apple, admin, archive=True)
    _stamp(runtime, harbour, "Harbour at dawn", "2019-02-27 11:19:30", "2019-03-01 10:00")
    _stamp(runtime, zebra, "", "2019-02-26 08:00", "2019-03-03 09:05")
    _stamp(runtime, apple, "Apple & <pear>\x01", "2019-02-28 23:59", "2019-03-02 00:01")
    with runtime.db.session() as session:
        item = session.get(MediaItem, pending)
        assert item is not None
        workflow.submit(session, accounts.get_user(session, olga), item)
    runtime.search.rebuild()
    tokens = {
        "admin": _token(runtime, admin),
        "reviewer": _token(runtime, rita),
        "contributor": _token(runtime, olga),
        "buyer": _token(runtime, bert),
        "admin_write_only": _token(runtime, admin, grants=("write",)),
        "admin_native": _token(runtime, admin, ApiKind.NATIVE),
    }
    return Catalog(harbour, zebra, apple, pending, olga, zed, admin, tokens)


def get(
    client: TestClient, catalog: Catalog, params: dict[str, str] | str | None = None, **h: str
) -> Any:
    headers = {"Authorization": catalog.tokens["admin"], **h}
    return client.get("/api/2/images", params=params, headers=headers)


def ids(
    client: TestClient, catalog: Catalog, params: dict[str, str] | str | None = None
) -> list[int]:
    response = get(client, catalog, params)
    assert response.status_code == 200, response.text
    return [image["id"] for image in response.json()["image"]]


def parse_xml(data: bytes) -> ET.Element:
    """Our own server's XML answer (trusted: the test wrote its contents)."""
    return ET.fromstring(data)  # noqa: S314


def assert_error(response: Any, status: int, ref: int, summary: str) -> None:
    assert response.status_code == status
    if response.headers["content-type"].startswith("application/xml"):
        root = parse_xml(response.content)
        assert root.tag == "error"
        assert [(c.tag, c.text) for c in root] == [("ref", str(ref)), ("summary", summary)]
    else:
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"ref": ref, "summary": summary}


def xml_document(element: ET.Element) -> Any:
    """An XML answer as the JSON one would read with every value as text."""
    if len(element) == 0:
        return element.text or ""
    document: dict[str, Any] = {}
    for child in element:
        if child.tag == "image":
            document.setdefault("image", []).append(xml_document(child))
        else:
            document[child.tag] = xml_document(child)
    return document


def as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return str(value)


# -- the answer -------------------------------------------------------------------------


def test_default_lists_active_and_archived_images_by_latest_modification(
    client: TestClient, catalog: Catalog
) -> None:
    response = get(client, catalog)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert [i["id"] for i in body["image"]] == [catalog.zebra, catalog.apple, catalog.harbour]
    assert (body["total"], body["totalcount"], body["currentpage"]) == (3, 3, 0)
    assert catalog.pending not in [i["id"] for i in body["image"]]


def test_image_has_every_field_of_the_document(
    runtime: Runtime, client: TestClient, catalog: Catalog
) -> None:
    image = next(i for i in get(client, catalog).json()["image"] if i["id"] == catalog.harbour)
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, catalog.harbour)
        assert item is not None
        size = item.file_size
    base = "http://testserver/media"
    assert image == {
        "id": catalog.harbour,
        "name": "Harbour at dawn",
        "createdby": {"id": catalog.olga, "name": "Olga Owner"},
        "createddate": "27 Feb 2019 11:19",
        "modifiedby": {"id": catalog.admin, "name": "Ada Admin"},
        "modifieddate": "01 Mar 2019 10:00",
        "status": "active",
        "attachmentid": catalog.harbour,
        "filesize": format_size(size),
        "thumbnailurl": f"{base}/{catalog.harbour}/thumb170",
        "url": f"{base}/{catalog.harbour}/large",
        "extension": "jpg",
        "height": 48,
        "width": 64,
    }


def test_untitled_image_is_named_by_its_file_and_modified_by_its_reviewer(
    client: TestClient, catalog: Catalog
) -> None:
    image = next(i for i in get(client, catalog).json()["image"] if i["id"] == catalog.zebra)
    assert image["name"] == "Zebra-crossing"
    assert image["extension"] == "png"
    assert image["createdby"] == {"id": catalog.zed, "name": "zed"}
    assert image["modifiedby"]["name"] == "rita"


def test_urls_of_active_and_archived_images_serve_the_renditions(
    client: TestClient, catalog: Catalog
) -> None:
    for image in get(client, catalog).json()["image"]:
        for key in ("thumbnailurl", "url"):
            served = client.get(image[key])
            assert served.status_code == 200, (image["status"], key)
            assert served.headers["content-type"] == "image/jpeg"


def test_urls_use_the_configured_public_base_url(
    runtime: Runtime, client: TestClient, catalog: Catalog
) -> None:
    object.__setattr__(runtime.settings, "base_url", "https://cms.example.com/context")
    image = get(client, catalog, {"search": "harbour"}).json()["image"][0]
    assert image["url"] == f"https://cms.example.com/context/media/{catalog.harbour}/large"


def without_signatures(value: Any) -> Any:
    """URLs without their query: a signed link's expiry moves with the clock's second."""
    if isinstance(value, dict):
        return {k: without_signatures(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_signatures(v) for v in value]
    if isinstance(value, str) and value.startswith("http"):
        return urlsplit(value)._replace(query="").geturl()
    return value


def test_xml_answer_says_the_same_as_json(client: TestClient, catalog: Catalog) -> None:
    as_json = get(client, catalog).json()
    response = get(client, catalog, **XML)
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    root = parse_xml(response.content)
    assert root.tag == "images"
    expected = as_text(as_json)
    expected["image"] = [{**i, "name": i["name"].replace("\x01", "")} for i in expected["image"]]
    assert without_signatures(xml_document(root)) == without_signatures(expected)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "archived"},
        {"sort": "+name", "limit": "2", "offset": "1"},
        {"extension": "PNG", "sort": "-createdby"},
        {"search": "harbour", "status": "1,2"},
        {"search": "nothing-matches-this"},
        {"offset": "5"},
        {"offset": "-1"},
        {"limit": "0"},
        {"sort": "+size"},
        {"status": "deleted"},
        {"extension": "*"},
        {"search": "x" * 1001},
    ],
)
def test_json_and_xml_carry_the_same_data_for_every_parameter(
    client: TestClient, catalog: Catalog, params: dict[str, str]
) -> None:
    as_json = get(client, catalog, params)
    as_xml = get(client, catalog, params, **XML)
    assert as_json.status_code == as_xml.status_code
    document = xml_document(parse_xml(as_xml.content))
    expected = as_text(as_json.json())
    if expected.get("image") == []:
        del expected["image"]  # no <image> element at all
    for image in expected.get("image", []):
        image["name"] = image["name"].replace("\x01", "")
    assert without_signatures(document) == without_signatures(expected)


def test_xml_escapes_markup_in_names(client: TestClient, catalog: Catalog) -> None:
    response = get(client, catalog, {"status": "archived"}, **XML)
    assert "<name>Apple &amp; &lt;pear&gt;</name>" in response.text


def test_json_keeps_the_title_as_stored(client: TestClient, catalog: Catalog) -> None:
    image = get(client, catalog, {"status": "archived"}).json()["image"][0]
    assert image["name"] == "Apple & <pear>\x01"


def test_json_wins_when_accept_names_it_first(client: TestClient, catalog: Catalog) -> None:
    response = get(client, catalog, Accept="application/json, application/xml")
    assert response.headers["content-type"].startswith("application/json")


# -- parameters -------------------------------------------------------------------------

SORTS = {
    "-modifieddate": ("zebra", "apple", "harbour"),
    "+modifieddate": ("harbour", "apple", "zebra"),
    "modifieddate": ("harbour", "apple", "zebra"),
    "+createddate": ("zebra", "harbour", "apple"),
    "-createddate": ("apple", "harbour", "zebra"),
    # name sorts by title: the untitled zebra (named by its file) comes first.
    "+name": ("zebra", "apple", "harbour"),
    "-name": ("harbour", "apple", "zebra"),
    "+createdby": ("apple", "harbour", "zebra"),
    "-createdby": ("zebra", "harbour", "apple"),
    "+status": ("zebra", "harbour", "apple"),
    "-status": ("apple", "harbour", "zebra"),
    "+extension": ("apple", "harbour", "zebra"),
    "-extension": ("zebra", "harbour", "apple"),
    "-NAME": ("harbour", "apple", "zebra"),
}


@pytest.mark.parametrize("sort", list(SORTS))
def test_sort_orders_the_images(client: TestClient, catalog: Catalog, sort: str) -> None:
    expected = [getattr(catalog, name) for name in SORTS[sort]]
    assert ids(client, catalog, {"sort": sort}) == expected


def test_unencoded_plus_sign_reads_as_ascending(client: TestClient, catalog: Catalog) -> None:
    assert ids(client, catalog, "sort=+name") == [catalog.zebra, catalog.apple, catalog.harbour]


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        ("PNG", ("zebra",)),
        ("jpg", ("apple", "harbour")),
        ("JPG,png", ("zebra", "apple", "harbour")),
        (" .Png , ", ("zebra",)),
        ("gif", ()),
        ("", ("zebra", "apple", "harbour")),
    ],
)
def test_extension_filters_case_insensitively(
    client: TestClient, catalog: Catalog, extension: str, expected: tuple[str, ...]
) -> None:
    wanted = [getattr(catalog, name) for name in expected]
    assert ids(client, catalog, {"extension": extension}) == wanted


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", ("zebra", "harbour")),
        ("1", ("zebra", "harbour")),
        ("archived", ("apple",)),
        ("2", ("apple",)),
        ("Active,ARCHIVED", ("zebra", "apple", "harbour")),
        ("1,2", ("zebra", "apple", "harbour")),
    ],
)
def test_status_filters_by_name_or_number(
    client: TestClient, catalog: Catalog, status: str, expected: tuple[str, ...]
) -> None:
    wanted = [getattr(catalog, name) for name in expected]
    assert ids(client, catalog, {"status": status}) == wanted


def test_search_finds_by_title(client: TestClient, catalog: Catalog) -> None:
    assert ids(client, catalog, {"search": "harbour"}) == [catalog.harbour]


def test_search_combines_with_the_filters(client: TestClient, catalog: Catalog) -> None:
    assert ids(client, catalog, {"search": "harbour", "status": "archived"}) == []


def test_limit_and_page_offset_walk_the_pages(client: TestClient, catalog: Catalog) -> None:
    first = get(client, catalog, {"limit": "2"}).json()
    second = get(client, catalog, {"limit": "2", "offset": "1"}).json()
    assert [i["id"] for i in first["image"]] == [catalog.zebra, catalog.apple]
    assert (first["total"], first["totalcount"], first["currentpage"]) == (2, 3, 0)
    assert [i["id"] for i in second["image"]] == [catalog.harbour]
    assert (second["total"], second["totalcount"], second["currentpage"]) == (1, 3, 1)


def test_page_past_the_end_is_empty(client: TestClient, catalog: Catalog) -> None:
    body = get(client, catalog, {"offset": "7"}).json()
    assert body == {"total": 0, "totalcount": 3, "currentpage": 7, "image": []}


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "ref", "name"),
    [
        ({"offset": "-1"}, 106, "offset"),
        ({"offset": "abc"}, 106, "offset"),
        ({"offset": "1.5"}, 106, "offset"),
        ({"offset": ""}, 106, "offset"),
        ({"offset": "\u0663"}, 106, "offset"),
        ({"limit": "0"}, 107, "limit"),
        ({"limit": "-3"}, 107, "limit"),
        ({"limit": "ten"}, 107, "limit"),
        ({"sort": "size"}, 79, "sort"),
        ({"sort": "name,status"}, 79, "sort"),
        ({"sort": "relevance"}, 79, "sort"),
        ({"sort": ""}, 79, "sort"),
        ({"status": "deleted"}, 108, "status"),
        ({"status": "3"}, 108, "status"),
        ({"status": "pending"}, 108, "status"),
        ({"extension": "j*g"}, 109, "extension"),
        ({"extension": "jpg'; DROP TABLE media_item; --"}, 109, "extension"),
        ({"search": "x" * 1001}, 110, "search"),
    ],
)
def test_invalid_parameters_answer_400_with_their_ref_in_json_and_xml(
    client: TestClient, catalog: Catalog, params: dict[str, str], ref: int, name: str
) -> None:
    for accept in ("application/json", "application/xml"):
        response = get(client, catalog, params, Accept=accept)
        assert_error(response, 400, ref, f"Invalid parameter: {name}")


def test_offset_is_checked_before_limit(client: TestClient, catalog: Catalog) -> None:
    assert_error(
        get(client, catalog, {"offset": "x", "limit": "x"}), 400, 106, "Invalid parameter: offset"
    )


@pytest.mark.parametrize("header", [None, "", "Bearer ", "nope", "Bearer nope"])
def test_missing_or_unknown_token_answers_401(
    client: TestClient, catalog: Catalog, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/2/images", headers=headers)
    assert_error(response, 401, 401, "Invalid token")


def test_token_of_another_api_answers_401(client: TestClient, catalog: Catalog) -> None:
    response = get(client, catalog, Authorization=catalog.tokens["admin_native"])
    assert_error(response, 401, 401, "Invalid token")


def test_disabled_token_answers_401(runtime: Runtime, client: TestClient, catalog: Catalog) -> None:
    with runtime.db.session() as session:
        credential = accounts.resolve_credential(session, catalog.tokens["reviewer"])
        accounts.disable_credential(session, credential)
    response = get(client, catalog, Authorization=catalog.tokens["reviewer"], **XML)
    assert_error(response, 401, 401, "Invalid token")


@pytest.mark.parametrize("who", ["contributor", "buyer", "admin_write_only"])
def test_token_without_access_answers_403(client: TestClient, catalog: Catalog, who: str) -> None:
    response = get(client, catalog, Authorization=catalog.tokens[who])
    assert_error(response, 403, 403, "Access denied")
    response = get(client, catalog, Authorization=catalog.tokens[who], **XML)
    assert_error(response, 403, 403, "Access denied")


@pytest.mark.parametrize("form", ["{}", "Bearer {}", "bearer  {} "])
def test_reviewer_token_reads_in_either_header_form(
    client: TestClient, catalog: Catalog, form: str
) -> None:
    response = get(client, catalog, Authorization=form.format(catalog.tokens["reviewer"]))
    assert response.status_code == 200
    assert response.json()["totalcount"] == 3


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_http_methods_answer_405_in_the_api_form(
    client: TestClient, catalog: Catalog, method: str
) -> None:
    headers = {"Authorization": catalog.tokens["admin"]}
    response = client.request(method, "/api/2/images", headers=headers)
    assert_error(response, 405, 405, f"Method not allowed: {method}")
    assert response.headers["allow"] == "GET, HEAD"
    response = client.request(method, "/api/2/images", headers={**headers, **XML})
    assert_error(response, 405, 405, f"Method not allowed: {method}")


def test_trailing_slash_answers_the_same_list(client: TestClient, catalog: Catalog) -> None:
    headers = {"Authorization": catalog.tokens["admin"]}
    response = client.get("/api/2/images/", headers=headers, follow_redirects=False)
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["image"]] == [
        catalog.zebra,
        catalog.apple,
        catalog.harbour,
    ]


@pytest.mark.parametrize(
    ("accept", "xml"),
    [
        ("application/xml", True),
        ("text/xml", True),
        ("application/json", False),
        ("*/*", False),
        ("text/html", False),
        ("application/json, application/xml", False),
        ("application/xml, application/json", True),
        ("application/xml;q=0.1, application/json", False),
        ("application/json;q=0.5, application/xml;q=0.9", True),
        ("application/xml;q=0", False),
        ("application/xml;q=banana, application/json;q=0.2", False),
    ],
)
def test_accept_chooses_the_preferred_format(
    client: TestClient, catalog: Catalog, accept: str, xml: bool
) -> None:
    response = get(client, catalog, {"limit": "1"}, Accept=accept)
    assert response.status_code == 200
    media = "application/xml" if xml else "application/json"
    assert response.headers["content-type"].startswith(media)


def test_limit_defaults_to_30(runtime: Runtime, client: TestClient, catalog: Catalog) -> None:
    with runtime.db.session() as session:
        for number in range(30):
            session.add(
                MediaItem(
                    owner_id=catalog.zed,
                    kind=MediaKind.ILLUSTRATION,
                    status=ItemStatus.ACTIVE,
                    visible=True,
                    title=f"Bulk {number}",
                    original_filename=f"bulk{number}.jpg",
                    extension="jpg",
                    mime_type="image/jpeg",
                    file_size=2048,
                    original_blob=f"{number:064x}",
                )
            )
    runtime.search.rebuild()
    body = get(client, catalog).json()
    assert (body["total"], body["totalcount"], len(body["image"])) == (30, 33, 30)
    second = get(client, catalog, {"offset": "1"}).json()
    assert (second["total"], second["currentpage"]) == (3, 1)
    listed = [i["id"] for i in body["image"]] + [i["id"] for i in second["image"]]
    assert len(set(listed)) == 33


# -- hostile parameters -----------------------------------------------------------------


def test_huge_limit_is_capped_and_lists_everything(client: TestClient, catalog: Catalog) -> None:
    assert len(ids(client, catalog, {"limit": "9" * 40})) == 3


def test_huge_offset_is_an_empty_page(client: TestClient, catalog: Catalog) -> None:
    body = get(client, catalog, {"offset": "9" * 40, "limit": "1000"}).json()
    assert (body["total"], body["totalcount"], body["image"]) == (0, 3, [])


@pytest.mark.parametrize(
    "text",
    ["' OR 1=1 --", "日本語 ☃", '"unclosed', "status:blocked", "<x>&amp;</x>"],
)
def test_hostile_search_text_finds_nothing_and_never_fails(
    client: TestClient, catalog: Catalog, text: str
) -> None:
    assert ids(client, catalog, {"search": text}) == []


@pytest.mark.parametrize("text", ["\x00", "*", "   ", "\u200b"])
def test_search_text_without_words_lists_everything(
    client: TestClient, catalog: Catalog, text: str
) -> None:
    assert ids(client, catalog, {"search": text}) == [catalog.zebra, catalog.apple, catalog.harbour]


def test_hostile_search_text_in_xml_still_parses(client: TestClient, catalog: Catalog) -> None:
    response = get(client, catalog, {"search": "]]><x/>", "offset": "0"}, **XML)
    assert parse_xml(response.content).find("totalcount") is not None


# -- formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (121_416, "118.57 KB"),
        (34_806, "33.99 KB"),
        (5 * 1024**2, "5.00 MB"),
        (3 * 1024**5, "3072.00 TB"),
    ],
)
def test_file_size_is_1024_based_with_two_decimals(size: int, text: str) -> None:
    assert format_size(size) == text


def test_dates_are_utc_with_english_month_names() -> None:
    moment = datetime(2019, 2, 27, 12, 19, tzinfo=UTC).astimezone()
    assert format_date(moment) == "27 Feb 2019 12:19"
    assert format_date(datetime(2019, 3, 5, 7, 4)) == "05 Mar 2019 07:04"
