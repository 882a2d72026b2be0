"""Downloads: signed per-user links that stream the licensed file (with HTTP Range), video
versions granted by a purchase, and complimentary downloads within a monthly allowance."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import pyvips
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.api import create_native_api
from stockhouse.api.downloads import download_routes
from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.commerce import downloads
from stockhouse.commerce.downloads import (
    ComplimentaryAllowanceExhausted,
    complimentary_download,
    complimentary_history,
    download_grants,
    download_link,
    signer_for,
)
from stockhouse.commerce.listing import Paging, Period
from stockhouse.commerce.models import Download, DownloadKind
from stockhouse.errors import InvalidParameter, NotFound, PermissionDenied
from stockhouse.observability import RequestContextMiddleware
from stockhouse.runtime import Runtime
from tests.catalog.factories import bearer
from tests.commerce.factories import (
    Market,
    allow_complimentary,
    buy,
    open_market,
    user,
)


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """/download beside /v1, as the application mounts them."""
    app = Starlette(routes=[*download_routes(), Mount("/v1", app=create_native_api(runtime))])
    app.state.runtime = runtime
    app.add_middleware(RequestContextMiddleware)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def blob_bytes(runtime: Runtime, key: str) -> bytes:
    with runtime.blobs.open(key) as stream:
        return stream.read()


def original_of(runtime: Runtime, item_id: int) -> bytes:
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        return blob_bytes(runtime, item.original_blob)


def version_bytes(runtime: Runtime, version_id: int) -> bytes:
    from stockhouse.catalog.models import VideoVersion

    with runtime.db.read_session() as session:
        version = session.get(VideoVersion, version_id)
        assert version is not None
        return blob_bytes(runtime, version.blob)


def licensed_downloads(runtime: Runtime, transaction_id: int) -> int:
    with runtime.db.read_session() as session:
        return (
            session.scalar(
                select(func.count(Download.id)).where(Download.transaction_id == transaction_id)
            )
            or 0
        )


def link_for(runtime: Runtime, user_id: int, transaction_id: int, **kwargs: object) -> str:
    return download_link(runtime, user(runtime, user_id), transaction_id, **kwargs).path  # type: ignore[arg-type]


def with_query(path: str, **changes: str) -> str:
    url = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    query.update(changes)
    return f"{url.path}?{urlencode(query)}"


# -- who may have a link ----------------------------------------------------------------


def test_the_link_names_the_transaction_user_and_expiry(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    link = download_link(runtime, user(runtime, market.prepaid_member), tx, now=now)

    url = urlsplit(link.path)
    query = parse_qs(url.query)
    assert url.path == f"/download/{tx}"
    assert query["u"] == [str(market.prepaid_member)]
    assert query["expires"] == [str(int((now + downloads.LINK_TTL).timestamp()))]
    assert link.expires_at == now + downloads.LINK_TTL


def test_a_member_of_the_buyers_group_may_have_a_link(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo)

    link = download_link(runtime, user(runtime, market.prepaid_admin), tx)

    assert link.user_id == market.prepaid_admin


@pytest.mark.parametrize("who", ["outsider", "solo", "postpaid_admin"])
def test_anyone_else_is_refused_a_link(runtime: Runtime, market: Market, who: str) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo)

    with pytest.raises(PermissionDenied):
        download_link(runtime, user(runtime, getattr(market, who)), tx)


def test_an_unknown_transaction_has_no_link(runtime: Runtime, market: Market) -> None:
    with pytest.raises(NotFound):
        download_link(runtime, user(runtime, market.solo), 999_999)


# -- what the link serves ---------------------------------------------------------------


def test_the_link_serves_the_licensed_size_produced_from_the_original(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.photo, "s")

    response = client.get(link_for(runtime, market.solo, tx))

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == 'attachment; filename="harbour-s.jpg"'
    assert response.headers["cache-control"] == "private, no-store"
    image = pyvips.Image.new_from_buffer(response.content, "")
    assert (image.width, image.height) == (500, 333)


def test_the_produced_size_is_cached_and_served_again_byte_for_byte(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.photo, "s")
    first = client.get(link_for(runtime, market.solo, tx)).content

    second = client.get(link_for(runtime, market.solo, tx)).content

    assert first == second


@pytest.mark.parametrize("size", ["xl", "el0"])
def test_xl_and_el0_serve_the_original_itself(
    client: TestClient, runtime: Runtime, market: Market, size: str
) -> None:
    tx = buy(runtime, market.solo, market.photo, size, extended=size == "el0")

    response = client.get(link_for(runtime, market.solo, tx))

    assert response.status_code == 200
    assert response.content == original_of(runtime, market.photo)
    assert response.headers["content-disposition"] == 'attachment; filename="harbour.jpg"'


def test_audio_serves_the_original(client: TestClient, runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.solo, market.music)

    response = client.get(link_for(runtime, market.solo, tx))

    assert response.content == original_of(runtime, market.music)
    assert response.headers["content-type"] == "audio/wav"


def test_every_download_from_the_start_is_recorded(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo, "xl")
    path = link_for(runtime, market.prepaid_admin, tx)

    client.get(path)
    client.get(path, headers={"Range": "bytes=0-99"})
    client.get(path, headers={"Range": "bytes=100-"})  # a resumed download: the same one
    client.head(path)

    with runtime.db.read_session() as session:
        rows = session.scalars(select(Download).where(Download.transaction_id == tx)).all()
    assert [(r.kind, r.user_id, r.group_id, r.size_code) for r in rows] == [
        (DownloadKind.LICENSED, market.prepaid_admin, market.prepaid, "xl")
    ] * 2


# -- HTTP Range -------------------------------------------------------------------------


@pytest.fixture
def xl_link(runtime: Runtime, market: Market) -> str:
    return link_for(runtime, market.solo, buy(runtime, market.solo, market.photo, "xl"))


def test_a_range_answers_206_with_those_bytes(
    client: TestClient, runtime: Runtime, market: Market, xl_link: str
) -> None:
    original = original_of(runtime, market.photo)

    response = client.get(xl_link, headers={"Range": "bytes=0-9"})

    assert response.status_code == 206
    assert response.content == original[:10]
    assert response.headers["content-range"] == f"bytes 0-9/{len(original)}"
    assert response.headers["accept-ranges"] == "bytes"


def test_a_suffix_range_answers_the_last_bytes(
    client: TestClient, runtime: Runtime, market: Market, xl_link: str
) -> None:
    original = original_of(runtime, market.photo)

    response = client.get(xl_link, headers={"Range": "bytes=-7"})

    assert response.status_code == 206
    assert response.content == original[-7:]
    size = len(original)
    assert response.headers["content-range"] == f"bytes {size - 7}-{size - 1}/{size}"


def test_a_range_beyond_the_end_is_unsatisfiable(
    client: TestClient, runtime: Runtime, market: Market, xl_link: str
) -> None:
    size = len(original_of(runtime, market.photo))

    response = client.get(xl_link, headers={"Range": f"bytes={size}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"


# -- links that do not work -------------------------------------------------------------


def test_an_expired_link_is_refused(client: TestClient, runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.solo, market.photo, "xl")
    old = datetime.now(UTC) - timedelta(hours=2)

    response = client.get(link_for(runtime, market.solo, tx, now=old))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "expired" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "change",
    [{"sig": "A" * 43}, {"expires": "9999999999"}, {"u": "1"}, {"v": "1"}],
    ids=["signature", "expiry", "other-user", "added-version"],
)
def test_a_changed_link_is_refused(
    client: TestClient, runtime: Runtime, market: Market, change: dict[str, str]
) -> None:
    tx = buy(runtime, market.solo, market.photo, "xl")

    response = client.get(with_query(link_for(runtime, market.solo, tx), **change))

    assert response.status_code == 403


def test_a_link_for_another_transaction_is_refused(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    mine = buy(runtime, market.solo, market.photo, "xl")
    theirs = buy(runtime, market.prepaid_member, market.photo, "xl")
    path = link_for(runtime, market.solo, mine)

    response = client.get(path.replace(f"/download/{mine}?", f"/download/{theirs}?"))

    assert response.status_code == 403


def test_a_link_stops_working_when_its_user_leaves_the_group(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo, "xl")
    path = link_for(runtime, market.prepaid_admin, tx)
    with runtime.db.session() as session:
        group = accounts.get_group(session, market.prepaid)
        accounts.remove_member(session, group, accounts.get_user(session, market.prepaid_admin))

    response = client.get(path)

    assert response.status_code == 403
    assert licensed_downloads(runtime, tx) == 0


def test_an_unsigned_request_is_refused(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.photo, "xl")

    assert client.get(f"/download/{tx}").status_code == 403
    assert client.get(f"/download/{tx}?u=abc&expires=1&sig=x").status_code == 403


# -- video versions ---------------------------------------------------------------------


def test_a_video_link_serves_the_first_version_of_the_bought_format(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.video, sub_offset=0)

    response = client.get(link_for(runtime, market.solo, tx))

    assert response.content == version_bytes(runtime, market.pal_versions[0])
    assert response.headers["content-disposition"] == 'attachment; filename="clip-720x576.mp4"'
    assert response.headers["content-type"] == "video/mp4"


def test_buying_one_version_grants_its_sibling(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.video, sub_offset=0)
    sibling = market.pal_versions[1]

    response = client.get(link_for(runtime, market.solo, tx, version_id=sibling))

    assert response.status_code == 200
    assert response.content == version_bytes(runtime, sibling)
    with runtime.db.read_session() as session:
        row = session.scalars(select(Download).where(Download.transaction_id == tx)).one()
    assert row.video_version_id == sibling


def test_a_version_of_another_format_is_not_granted(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.solo, market.video, sub_offset=0)

    with pytest.raises(NotFound):
        download_link(runtime, user(runtime, market.solo), tx, version_id=market.ntsc_version)


def test_changing_the_version_of_a_link_is_refused(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.video, sub_offset=0)
    path = link_for(runtime, market.solo, tx, version_id=market.pal_versions[1])

    response = client.get(with_query(path, v=str(market.ntsc_version)))

    assert response.status_code == 403


def test_an_image_has_no_versions(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.solo, market.photo, "xl")

    with pytest.raises(NotFound):
        download_link(runtime, user(runtime, market.solo), tx, version_id=market.ntsc_version)


def test_the_grants_list_every_version_of_the_bought_format(
    runtime: Runtime, market: Market
) -> None:
    video_tx = buy(runtime, market.solo, market.video, sub_offset=1)
    photo_tx = buy(runtime, market.solo, market.photo, "xl")

    with runtime.db.read_session() as session:
        page = download_grants(session, user(runtime, market.solo))

    by_tx = {grant.transaction_id: grant for grant in page.items}
    assert page.total == 2
    video = by_tx[video_tx]
    assert [v.version_id for v in video.versions] == [market.ntsc_version]
    assert (video.sub_offset, video.bought_version_id) == (1, market.ntsc_version)
    assert video.versions[0].format_name == "NTSC"
    assert video.artist.username == "carla"
    assert by_tx[photo_tx].versions == []


def test_the_pal_grant_lists_both_pal_versions(runtime: Runtime, market: Market) -> None:
    buy(runtime, market.solo, market.video, sub_offset=0)

    with runtime.db.read_session() as session:
        (grant,) = download_grants(session, user(runtime, market.solo)).items

    assert [(v.version_id, v.width, v.height) for v in grant.versions] == [
        (market.pal_versions[0], 720, 576),
        (market.pal_versions[1], 724, 576),
    ]


# -- complimentary downloads ------------------------------------------------------------

MARCH = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def test_a_complimentary_download_counts_against_the_allowance(
    runtime: Runtime, market: Market
) -> None:
    allow_complimentary(runtime, market.prepaid, 2)
    member = user(runtime, market.prepaid_member)

    first = complimentary_download(runtime, member, market.photo, "s", now=MARCH)
    second = complimentary_download(runtime, member, market.photo, "xl", now=MARCH)

    assert (first.used_this_month, second.used_this_month, second.per_month) == (1, 2, 2)
    with pytest.raises(ComplimentaryAllowanceExhausted, match="2026-03"):
        complimentary_download(runtime, member, market.photo, "s", now=MARCH)


def test_the_allowance_is_shared_by_the_whole_group(runtime: Runtime, market: Market) -> None:
    allow_complimentary(runtime, market.prepaid, 1)
    complimentary_download(runtime, user(runtime, market.prepaid_member), market.photo, "s")

    with pytest.raises(ComplimentaryAllowanceExhausted):
        complimentary_download(runtime, user(runtime, market.prepaid_admin), market.photo, "s")


def test_the_allowance_renews_with_the_utc_calendar_month(runtime: Runtime, market: Market) -> None:
    allow_complimentary(runtime, market.prepaid, 1)
    member = user(runtime, market.prepaid_member)
    complimentary_download(
        runtime, member, market.photo, "s", now=datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    )

    april = complimentary_download(
        runtime, member, market.photo, "s", now=datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    )

    assert april.used_this_month == 1


@pytest.mark.parametrize(
    ("setup", "error"),
    [("no-group", PermissionDenied), ("no-allowance", PermissionDenied)],
)
def test_complimentary_downloads_need_a_group_with_an_allowance(
    runtime: Runtime, market: Market, setup: str, error: type[Exception]
) -> None:
    who = market.solo if setup == "no-group" else market.outsider

    with pytest.raises(error):
        complimentary_download(runtime, user(runtime, who), market.photo, "s")


def test_an_unpublished_item_has_no_complimentary_download(
    runtime: Runtime, market: Market
) -> None:
    allow_complimentary(runtime, market.prepaid, 5)
    with runtime.db.session() as session:
        item = session.get(MediaItem, market.photo)
        assert item is not None
        item.status = ItemStatus.ARCHIVED

    with pytest.raises(NotFound):
        complimentary_download(runtime, user(runtime, market.prepaid_member), market.photo, "s")


@pytest.mark.parametrize("size", ["4k", "", "x" * 40])
def test_a_size_the_item_does_not_offer_is_refused(
    runtime: Runtime, market: Market, size: str
) -> None:
    allow_complimentary(runtime, market.prepaid, 5)

    with pytest.raises(InvalidParameter) as caught:
        complimentary_download(runtime, user(runtime, market.prepaid_member), market.photo, size)

    assert caught.value.name == "size"


def test_a_complimentary_link_serves_the_size(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    allow_complimentary(runtime, market.prepaid, 5)
    grant = complimentary_download(
        runtime, user(runtime, market.prepaid_member), market.photo, "xl"
    )

    response = client.get(grant.link.path)
    tampered = client.get(with_query(grant.link.path, u=str(market.outsider)))

    assert response.status_code == 200
    assert response.content == original_of(runtime, market.photo)
    assert tampered.status_code == 403


def test_a_complimentary_video_serves_the_first_version(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    allow_complimentary(runtime, market.prepaid, 5)
    grant = complimentary_download(
        runtime, user(runtime, market.prepaid_member), market.video, "720"
    )

    response = client.get(grant.link.path)

    assert response.content == version_bytes(runtime, market.pal_versions[0])


def test_concurrent_grants_never_exceed_the_allowance(runtime: Runtime, market: Market) -> None:
    allow_complimentary(runtime, market.prepaid, 3)
    member = user(runtime, market.prepaid_member)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            complimentary_download(runtime, member, market.photo, "s")
            result = "granted"
        except ComplimentaryAllowanceExhausted:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["granted"] * 3 + ["refused"] * 5


# -- complimentary history --------------------------------------------------------------


def history(runtime: Runtime, viewer_id: int, **kwargs: object) -> list[tuple[int, str]]:
    with runtime.db.read_session() as session:
        page = complimentary_history(
            session,
            signer_for(runtime),
            user(runtime, viewer_id),
            **kwargs,  # type: ignore[arg-type]
        )
    return [(row.user.id, row.created_at.strftime("%m-%d")) for row in page.items]


@pytest.fixture
def three_months(runtime: Runtime, market: Market) -> None:
    allow_complimentary(runtime, market.prepaid, 10)
    for user_id, day in (
        (market.prepaid_member, datetime(2026, 1, 10, tzinfo=UTC)),
        (market.prepaid_admin, datetime(2026, 2, 10, tzinfo=UTC)),
        (market.prepaid_member, datetime(2026, 3, 10, tzinfo=UTC)),
    ):
        complimentary_download(runtime, user(runtime, user_id), market.photo, "s", now=day)
    allow_complimentary(runtime, market.other_group, 10)
    complimentary_download(runtime, user(runtime, market.outsider), market.photo, "s", now=MARCH)


@pytest.mark.usefixtures("three_months")
def test_the_history_lists_the_groups_downloads_newest_first(
    runtime: Runtime, market: Market
) -> None:
    assert history(runtime, market.prepaid_admin) == [
        (market.prepaid_member, "03-10"),
        (market.prepaid_admin, "02-10"),
        (market.prepaid_member, "01-10"),
    ]


@pytest.mark.usefixtures("three_months")
def test_the_history_filters_by_dates_user_and_kind(runtime: Runtime, market: Market) -> None:
    february = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))

    assert history(runtime, market.prepaid_member, period=february) == [
        (market.prepaid_admin, "02-10")
    ]
    assert [
        u for u, _ in history(runtime, market.prepaid_admin, user_id=market.prepaid_member)
    ] == [market.prepaid_member] * 2
    assert history(runtime, market.prepaid_admin, kinds=["video"]) == []


@pytest.mark.usefixtures("three_months")
def test_the_history_pages(runtime: Runtime, market: Market) -> None:
    with runtime.db.read_session() as session:
        page = complimentary_history(
            session, signer_for(runtime), user(runtime, market.prepaid_admin), paging=Paging(1, 1)
        )

    assert (page.total, len(page.items), page.items[0].created_at.month) == (3, 1, 2)
    row = page.items[0]
    assert (row.seller.username, row.filename, row.size_code) == ("carla", "harbour.jpg", "s")
    assert (row.width, row.height, row.visible) == (500, 333, True)
    assert row.link.path.startswith(f"/download/complimentary/{row.download_id}?u=")


@pytest.mark.usefixtures("three_months")
def test_another_groups_history_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(PermissionDenied):
        history(runtime, market.outsider, group_id=market.prepaid)
    with pytest.raises(PermissionDenied):
        history(runtime, market.solo)


@pytest.mark.usefixtures("three_months")
def test_an_admin_reads_any_groups_history(runtime: Runtime, market: Market) -> None:
    assert len(history(runtime, market.admin, group_id=market.other_group)) == 1


# -- the native API ---------------------------------------------------------------------


def test_the_api_makes_a_link_that_downloads(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.photo, "xl")
    headers = bearer(client, "sol")

    response = client.post(f"/v1/licenses/{tx}/download-link", headers=headers)

    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["url"])
    assert client.get(f"{url.path}?{url.query}").content == original_of(runtime, market.photo)


def test_the_api_refuses_a_link_to_someone_elses_license(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo, "xl")

    response = client.post(f"/v1/licenses/{tx}/download-link", headers=bearer(client, "sol"))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_download_path_of_a_license_redirects_to_a_signed_link(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.video, sub_offset=0)
    sibling = market.pal_versions[1]

    response = client.get(
        f"/v1/downloads/{tx}?v={sibling}", headers=bearer(client, "sol"), follow_redirects=False
    )

    assert response.status_code == 307
    location = urlsplit(response.headers["location"])
    assert client.get(f"{location.path}?{location.query}").content == version_bytes(
        runtime, sibling
    )


def test_the_api_lists_what_the_caller_may_download(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.solo, market.video, sub_offset=0)

    body = client.get("/v1/downloads", headers=bearer(client, "sol")).json()

    assert body["total"] == 1
    (grant,) = body["items"]
    assert grant["transaction_id"] == tx
    assert [v["version_id"] for v in grant["versions"]] == list(market.pal_versions)
    assert grant["price"] == "20.00"


def test_the_api_takes_and_lists_complimentary_downloads(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    root = bearer(client, "root")
    put = client.put(
        f"/v1/complimentary-allowances/{market.prepaid}", json={"per_month": 1}, headers=root
    )
    headers = bearer(client, "max")

    taken = client.post(
        "/v1/complimentary-downloads", json={"item_id": market.photo, "size": "xl"}, headers=headers
    )
    refused = client.post(
        "/v1/complimentary-downloads", json={"item_id": market.photo, "size": "xl"}, headers=headers
    )
    listed = client.get("/v1/complimentary-downloads?kind=photo", headers=bearer(client, "mia"))

    assert put.status_code == 200
    assert taken.status_code == 201, taken.text
    assert (taken.json()["used_this_month"], taken.json()["per_month"]) == (1, 1)
    assert refused.status_code == 403
    assert listed.json()["total"] == 1
    row = listed.json()["items"][0]
    assert (row["user"]["username"], row["seller"]["username"]) == ("max", "carla")
    url = urlsplit(row["url"])
    assert client.get(f"{url.path}?{url.query}").status_code == 200


def test_only_admins_set_allowances(client: TestClient, market: Market) -> None:
    response = client.put(
        f"/v1/complimentary-allowances/{market.prepaid}",
        json={"per_month": 5},
        headers=bearer(client, "mia"),
    )

    assert response.status_code == 403


# -- a remote blob store (no local file): ranges are cut from the stream -----------------


@pytest.fixture
def remote_store(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The blob store answers like S3: no local path, bytes only as a stream."""
    monkeypatch.setattr(runtime.blobs, "local_path", lambda key: None)
    monkeypatch.setattr(
        type(runtime.blobs),
        "iter_chunks",
        lambda self, key, chunk_size=7: iter(
            [data[i : i + 7] for data in [blob_bytes(runtime, key)] for i in range(0, len(data), 7)]
        ),
    )


@pytest.mark.usefixtures("remote_store")
@pytest.mark.parametrize(
    ("header", "status", "cut"),
    [
        (None, 200, slice(None)),
        ("bytes=0-9", 206, slice(0, 10)),
        ("bytes=5-20", 206, slice(5, 21)),
        ("bytes=-7", 206, slice(-7, None)),
        ("bytes=100-", 206, slice(100, None)),
        ("bytes=0-1,5-6", 200, slice(None)),  # several ranges: the whole file
        ("lines=1-2", 200, slice(None)),
    ],
)
def test_a_remote_blob_serves_byte_ranges(
    client: TestClient,
    runtime: Runtime,
    market: Market,
    xl_link: str,
    header: str | None,
    status: int,
    cut: slice,
) -> None:
    original = original_of(runtime, market.photo)

    response = client.get(xl_link, headers={"Range": header} if header else {})

    assert response.status_code == status
    assert response.content == original[cut]
    assert response.headers["content-length"] == str(len(original[cut]))
    if status == 206:
        first = cut.start % len(original) if cut.start is not None else 0
        last = first + len(original[cut]) - 1
        assert response.headers["content-range"] == f"bytes {first}-{last}/{len(original)}"


@pytest.mark.usefixtures("remote_store")
def test_a_remote_blob_range_beyond_the_end_is_unsatisfiable(
    client: TestClient, runtime: Runtime, market: Market, xl_link: str
) -> None:
    size = len(original_of(runtime, market.photo))

    response = client.get(xl_link, headers={"Range": f"bytes={size}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
