"""Cliparto's API Query on the wire: GET /apiq/?id=&q=&ext=&md5=, plain-text answers."""

from __future__ import annotations

import ftplib
import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role
from stockhouse.app import create_app
from stockhouse.catalog import releases, workflow
from stockhouse.catalog.models import MediaItem, Series, Upload
from stockhouse.commerce.models import License
from stockhouse.compat.ratelimit import (
    InProcessLimiter,
    RedisLimiter,
    RequestLimiter,
    TooFrequent,
    limiter_for,
)
from stockhouse.ingest.ftp import start_ftp_server
from stockhouse.ingest.inbox import inbox_dir
from stockhouse.ingest.pipeline import ingest_now
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, add_item, tiny_jpeg
from tests.commerce.factories import Market, buy, open_market, transaction, user

CODE = "s3cret-Cliparto-code"
BERLIN = ZoneInfo("Europe/Berlin")
SEED_USER, SEED_CODE = 176050, "8zn2eBj90M0F"
SEED_MD5 = "372aadd1bad841a7c898b57dbbecab44"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def no_limits() -> RequestLimiter:
    return InProcessLimiter(0.0, 0.0)


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    """The whole application, with Cliparto's limits off unless a test sets a limiter."""
    app = create_app(runtime)
    app.state.cliparto_limiter = no_limits()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def give_code(runtime: Runtime, user_id: int, code: str = CODE) -> int:
    with runtime.db.session() as session:
        issued = accounts.create_credential(
            session,
            runtime.secrets,
            user=accounts.get_user(session, user_id),
            api=ApiKind.CLIPARTO,
            secret=code,
        )
        return issued.credential.id


def sign(user_id: int | str, q: str, ext: str = "", code: str = CODE) -> str:
    return hashlib.md5(f"{user_id}{q}{ext}{code}".encode(), usedforsecurity=False).hexdigest()


def ask(
    client: TestClient, user_id: int | str, q: str, ext: str | None = None, code: str = CODE
) -> str:
    """One signed query; asserts the wire form (200, text/plain) and returns the text."""
    params = {"id": str(user_id), "q": q, "md5": sign(user_id, q, ext or "", code)}
    if ext is not None:
        params["ext"] = ext
    response = client.get("/apiq/", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    return str(response.text)


@dataclass(frozen=True)
class Shop:
    """The commerce test market, with Cliparto codes and three sales of the photo."""

    market: Market
    other: int  # a second contributor, with a code, an item and a release
    other_item: int
    sales: tuple[int, int, int]  # this month (s), previous month (xl), long ago (s)


def start_of_berlin_month() -> datetime:
    now = datetime.now(BERLIN)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    market = open_market(runtime)
    give_code(runtime, market.contributor)
    with runtime.db.session() as session:
        other = accounts.create_user(
            session, username="otto", password=PASSWORD, roles=[Role.CONTRIBUTOR]
        ).id
    give_code(runtime, other, "otto-code")
    other_item = add_item(runtime, user(runtime, other), filename="secret-plan.jpg")
    month = start_of_berlin_month()
    sales = (
        buy(runtime, market.solo, market.photo, "s", country="DE", query="harbour; dawn\nboat"),
        buy(
            runtime,
            market.solo,
            market.photo,
            "xl",
            country="FR",
            query="quay",
            at=month - timedelta(days=2),
        ),
        buy(runtime, market.solo, market.photo, "s", at=month - timedelta(days=70)),
    )
    return Shop(market=market, other=other, other_item=other_item, sales=sales)


# -- authentication ---------------------------------------------------------------------


def test_the_documents_worked_example_verifies(runtime: Runtime, app_client: TestClient) -> None:
    with runtime.db.session() as session:
        accounts.create_user(
            session, username="seed", password=None, roles=[Role.CONTRIBUTOR], user_id=SEED_USER
        )
    give_code(runtime, SEED_USER, SEED_CODE)

    response = app_client.get(f"/apiq/?id={SEED_USER}&q=BalanceCurrent&md5={SEED_MD5}")

    assert sign(SEED_USER, "BalanceCurrent", code=SEED_CODE) == SEED_MD5
    assert (response.status_code, response.text) == (200, "0.00")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_apiq_without_the_trailing_slash_answers_too(shop: Shop, app_client: TestClient) -> None:
    uid = shop.market.contributor
    md5 = sign(uid, "DownloadsTotal")
    assert app_client.get(f"/apiq?id={uid}&q=DownloadsTotal&md5={md5}").text == "3"


def test_an_upper_case_md5_is_accepted(shop: Shop, app_client: TestClient) -> None:
    uid = shop.market.contributor
    md5 = sign(uid, "DownloadsTotal").upper()
    assert app_client.get(f"/apiq/?id={uid}&q=DownloadsTotal&md5={md5}").text == "3"


def test_a_wrong_md5_is_refused(shop: Shop, app_client: TestClient) -> None:
    assert ask(app_client, shop.market.contributor, "BalanceCurrent", code="guess") == (
        "Error: wrong md5"
    )


def test_the_ext_is_part_of_the_signature(shop: Shop, app_client: TestClient) -> None:
    uid = shop.market.contributor
    md5 = sign(uid, "DownloadsList", "2")
    text = app_client.get(f"/apiq/?id={uid}&q=DownloadsList&ext=3&md5={md5}").text
    assert text == "Error: wrong md5"


def test_another_contributors_code_does_not_sign_for_me(shop: Shop, app_client: TestClient) -> None:
    text = ask(app_client, shop.market.contributor, "BalanceCurrent", code="otto-code")
    assert text == "Error: wrong md5"


def test_an_unknown_user_looks_like_a_wrong_md5(shop: Shop, app_client: TestClient) -> None:
    assert ask(app_client, 987654, "BalanceCurrent") == "Error: wrong md5"


def test_a_user_without_a_cliparto_code_is_refused(shop: Shop, app_client: TestClient) -> None:
    assert ask(app_client, shop.market.solo, "BalanceCurrent") == "Error: wrong md5"


def test_a_disabled_code_no_longer_signs(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    with runtime.db.session() as session:
        for credential in accounts.list_credentials(
            session, accounts.get_user(session, shop.market.contributor)
        ):
            accounts.disable_credential(session, credential)

    assert ask(app_client, shop.market.contributor, "BalanceCurrent") == "Error: wrong md5"


def test_a_rotated_code_signs_and_the_old_one_does_not(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    with runtime.db.session() as session:
        for credential in accounts.list_credentials(session, accounts.get_user(session, uid)):
            accounts.disable_credential(session, credential)
    give_code(runtime, uid, "brand-new-code")

    assert ask(app_client, uid, "DownloadsTotal", code="brand-new-code") == "3"
    assert ask(app_client, uid, "DownloadsThisMonth") == "Error: wrong md5"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=BalanceCurrent&md5=x", "Error: missing parameter id"),
        ("id=1&md5=x", "Error: missing parameter q"),
        ("id=1&q=BalanceCurrent", "Error: missing parameter md5"),
        ("id=abc&q=BalanceCurrent&md5=x", "Error: wrong id"),
        ("id=%D9%A1&q=BalanceCurrent&md5=x", "Error: wrong id"),  # Arabic-Indic one
        ("id=-1&q=BalanceCurrent&md5=x", "Error: wrong id"),
        ("id=99999999999999999999999&q=BalanceCurrent&md5=x", "Error: wrong id"),
        (f"id=1&q={'A' * 5000}&md5=x", "Error: parameter too long"),
    ],
)
def test_malformed_requests_get_an_error_line(
    shop: Shop, app_client: TestClient, query: str, expected: str
) -> None:
    response = app_client.get(f"/apiq/?{query}")
    assert (response.status_code, response.text) == (200, expected)


def test_an_unknown_query_type_is_an_error_line(shop: Shop, app_client: TestClient) -> None:
    assert ask(app_client, shop.market.contributor, "DeleteEverything") == (
        "Error: unknown query type"
    )


# -- totals and amounts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # royalties: s 0.35 (this month), xl 3.50 (previous month), s 0.35 (long ago)
        ("BalanceCurrent", "4.20"),
        ("EarningsTotal", "4.20"),
        ("EarningsThisMonth", "0.35"),
        ("EarningsPrevMonth", "3.50"),
        ("DownloadsTotal", "3"),
        ("DownloadsThisMonth", "1"),
        ("DownloadsPrevMonth", "1"),
        ("ImagesTotal", "1"),  # the photo; the video and the music are not images
        ("ImagesNew", "1"),
        ("ImagesNewPrevMonth", "0"),
    ],
)
def test_totals_are_bare_numbers(shop: Shop, app_client: TestClient, q: str, expected: str) -> None:
    assert ask(app_client, shop.market.contributor, q) == expected


def test_another_contributor_sees_only_their_own_figures(
    shop: Shop, app_client: TestClient
) -> None:
    answers = [
        ask(app_client, shop.other, q, code="otto-code")
        for q in ("BalanceCurrent", "DownloadsTotal", "ImagesTotal")
    ]
    assert answers == ["0.00", "0", "0"]


def test_an_image_approved_last_month_counts_as_new_last_month(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == shop.market.photo)
            .values(published_at=start_of_berlin_month() - timedelta(hours=1))
        )
    uid = shop.market.contributor
    assert [ask(app_client, uid, q) for q in ("ImagesNew", "ImagesNewPrevMonth")] == ["0", "1"]


# -- DownloadsList ----------------------------------------------------------------------


def license_name(runtime: Runtime, transaction_id: int) -> str:
    with runtime.db.read_session() as session:
        row = transaction(runtime, transaction_id)
        return str(session.scalar(select(License.name).where(License.id == row.license_id)))


def berlin_time(runtime: Runtime, transaction_id: int) -> str:
    moment = transaction(runtime, transaction_id).created_at.astimezone(BERLIN)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def test_downloads_list_rows_are_the_latest_sales_in_the_documented_order(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    lines = ask(app_client, shop.market.contributor, "DownloadsList").split("\n")

    newest, previous, oldest = shop.sales
    photo = shop.market.photo
    name = license_name(runtime, newest)
    assert lines == [
        # the search query's "; " and line break cannot break the record
        f"{berlin_time(runtime, newest)}; {photo}; {name}; s; 0.35; DE; harbour, dawn boat",
        f"{berlin_time(runtime, previous)}; {photo}; {name}; xl; 3.50; FR; quay",
        f"{berlin_time(runtime, oldest)}; {photo}; {name}; s; 0.35; DE; ",  # the buyer's country
    ]


def test_downloads_list_ext_limits_the_rows(shop: Shop, app_client: TestClient) -> None:
    text = ask(app_client, shop.market.contributor, "DownloadsList", "2")
    assert len(text.split("\n")) == 2


def test_downloads_list_without_sales_is_an_empty_answer(
    shop: Shop, app_client: TestClient
) -> None:
    assert ask(app_client, shop.other, "DownloadsList", code="otto-code") == ""


@pytest.mark.parametrize("ext", ["0", "101", "-1", "abc", "1.5", "\u0661", " 5", "100000000000"])
def test_downloads_list_ext_out_of_range_is_refused(
    shop: Shop, app_client: TestClient, ext: str
) -> None:
    assert ask(app_client, shop.market.contributor, "DownloadsList", ext) == (
        "Error: ext must be a number from 1 to 100"
    )


def test_downloads_list_accepts_the_bounds(shop: Shop, app_client: TestClient) -> None:
    uid = shop.market.contributor
    assert len(ask(app_client, uid, "DownloadsList", "1").split("\n")) == 1
    assert len(ask(app_client, uid, "DownloadsList", "100").split("\n")) == 3


# -- ImageIDByFileName ------------------------------------------------------------------


def test_image_id_by_file_name_without_extension(shop: Shop, app_client: TestClient) -> None:
    # the market's photo was uploaded as harbour.jpg
    text = ask(app_client, shop.market.contributor, "ImageIDByFileName", "harbour")
    assert text == str(shop.market.photo)


def test_image_id_by_unicode_file_name(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    item = add_item(runtime, user(runtime, uid), filename="Straße café 海.v2.jpg")

    assert ask(app_client, uid, "ImageIDByFileName", "Straße café 海.v2") == str(item)
    assert ask(app_client, uid, "ImageIDByFileName", "Straße café 海") == (
        "Error: unknown file name"
    )


@pytest.mark.parametrize(
    "ext",
    [
        "../harbour",
        "/harbour",
        "x/../harbour",
        "..\\harbour",
        "HARBOUR",
        "harb%",
        "harb_ur",
        "harbour\x00",
        "harbour.",
        "secret-plan",  # another contributor's file
        "Straße",
    ],
)
def test_image_id_by_file_name_matches_only_my_exact_names(
    shop: Shop, app_client: TestClient, ext: str
) -> None:
    assert ask(app_client, shop.market.contributor, "ImageIDByFileName", ext) == (
        "Error: unknown file name"
    )


def test_image_id_by_an_empty_file_name_is_refused(shop: Shop, app_client: TestClient) -> None:
    assert ask(app_client, shop.market.contributor, "ImageIDByFileName") == (
        "Error: empty file name"
    )


# -- ImageData --------------------------------------------------------------------------


def test_image_data_has_the_documented_fields(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    with runtime.db.session() as session:
        series = Series(owner_id=shop.market.contributor, name="Harbours")
        session.add(series)
        session.flush()
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == shop.market.photo)
            .values(views=17, series_id=series.id, title="Harbour; at dawn")
        )
        series_id = series.id

    text = ask(app_client, shop.market.contributor, "ImageData", str(shop.market.photo))

    assert text == f"active; Harbour, at dawn; 17; 3; 4.20; {series_id}; harbour.jpg"


def test_image_data_of_an_item_without_series_or_sales(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    item = add_item(runtime, user(runtime, shop.other), title="Plan", filename="plan.jpg")
    text = ask(app_client, shop.other, "ImageData", str(item), code="otto-code")
    assert text == "uploaded; Plan; 0; 0; 0.00; ; plan.jpg"


@pytest.mark.parametrize("which", ["other", "missing", "junk", "empty", "huge", "arabic"])
def test_image_data_of_anything_but_my_item_is_unknown(
    shop: Shop, app_client: TestClient, which: str
) -> None:
    ext = {
        "other": str(shop.other_item),
        "missing": "999999",
        "junk": "12abc",
        "empty": "",
        "huge": "999999999999999999",
        "arabic": "\u0661",
    }[which]
    assert ask(app_client, shop.market.contributor, "ImageData", ext) == ("Error: unknown image ID")


# -- releases ---------------------------------------------------------------------------


def add_release(runtime: Runtime, owner_id: int, kind: int, name: str) -> int:
    with runtime.db.session() as session:
        release = releases.create_release(
            session,
            runtime.blobs,
            accounts.get_user(session, owner_id),
            release_type=kind,
            name=name,
            stream=io.BytesIO(tiny_jpeg()),
            filename="release.jpg",
        )
        return release.id


def test_releases_list_gives_id_type_and_name(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    model = add_release(runtime, uid, 1, "Anna Berg")
    place = add_release(runtime, uid, 2, "Harbour; pier 3")
    add_release(runtime, shop.other, 1, "Not mine")

    assert ask(app_client, uid, "ReleasesList") == (
        f"{model}; 1; Anna Berg\n{place}; 2; Harbour, pier 3"
    )


def test_attach_release_to_image(runtime: Runtime, shop: Shop, app_client: TestClient) -> None:
    uid = shop.market.contributor
    release = add_release(runtime, uid, 1, "Anna Berg")

    text = ask(app_client, uid, "AttachReleaseToImage", f"{release}:{shop.market.photo}")

    assert text == "OK"
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, shop.market.photo)
        assert item is not None
        assert [r.id for r in item.releases] == [release]


def test_attach_release_rejects_other_contributors_and_bad_ext(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    mine = add_release(runtime, uid, 1, "Anna Berg")
    theirs = add_release(runtime, shop.other, 1, "Not mine")
    photo = shop.market.photo

    answers = {
        ext: ask(app_client, uid, "AttachReleaseToImage", ext)
        for ext in (
            f"{theirs}:{photo}",
            f"{mine}:{shop.other_item}",
            f"{mine}",
            f"{mine}:",
            f"x:{photo}",
            f"{mine}:{photo}:1",
            "",
        )
    }

    assert answers == {
        f"{theirs}:{photo}": "Error: unknown release ID",
        f"{mine}:{shop.other_item}": "Error: unknown image ID",
        f"{mine}": "Error: ext must be ReleaseID:ImageID",
        f"{mine}:": "Error: unknown image ID",
        f"x:{photo}": "Error: unknown release ID",
        f"{mine}:{photo}:1": "Error: unknown image ID",
        "": "Error: ext must be ReleaseID:ImageID",
    }


def test_a_rotated_code_signs_and_the_old_one_no_longer_does(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    with runtime.db.session() as session:
        [old] = [c for c in accounts.list_credentials(session, user(runtime, uid)) if c.enabled]
        new_code = accounts.rotate_credential(session, runtime.secrets, old).secret
    assert new_code is not None
    assert ask(app_client, uid, "ImagesTotal", code=new_code) == "1"
    assert ask(app_client, uid, "DownloadsTotal").startswith("Error: ")


# -- FTP inbox, submission, review ------------------------------------------------------


def test_ftp_files_become_approved_images(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    inbox = inbox_dir(runtime.settings, uid, create=True)
    path = inbox / "lighthouse.jpg"
    path.write_bytes(tiny_jpeg(64, 48, shade=201))
    old = path.stat().st_mtime - 3600  # long finished arriving
    os.utime(path, (old, old))

    assert ask(app_client, uid, "ProcessFilesFromFTP") == "1"
    with runtime.db.read_session() as session:
        upload_id = session.scalars(select(Upload.id).where(Upload.owner_id == uid)).one()
    item_id = ingest_now(runtime, upload_id).item_id
    assert item_id is not None
    assert ask(app_client, uid, "ImageIDByFileName", "lighthouse") == str(item_id)
    assert ask(app_client, uid, "SubmitToPending") == "1"
    assert ask(app_client, uid, "ImageData", str(item_id)).startswith("pending; ")
    with runtime.db.session() as session:
        reviewer = accounts.create_user(
            session, username="rita", password=PASSWORD, roles=[Role.REVIEWER]
        )
        item = session.get(MediaItem, item_id)
        assert item is not None
        workflow.approve(session, reviewer, item)

    assert ask(app_client, uid, "ImagesTotal") == "2"
    assert ask(app_client, uid, "ImagesNew") == "2"
    assert ask(app_client, uid, "ImageData", str(item_id)).startswith("active; ")
    assert not path.exists()


def test_a_jpeg_sent_through_the_ftp_server_becomes_a_pending_then_active_image(
    runtime: Runtime, shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    server = start_ftp_server(runtime, "127.0.0.1", 0, passive_ports=None)
    try:
        ftp = ftplib.FTP()  # noqa: S321 (plain FTP is what contributors' clients speak)
        ftp.connect("127.0.0.1", server.port, timeout=10)
        ftp.login(user(runtime, uid).username, PASSWORD)
        ftp.storbinary("STOR harbour-at-dawn.jpg", io.BytesIO(tiny_jpeg(80, 60, shade=77)))
        ftp.quit()
    finally:
        server.stop()

    # Arrived completely through FTP a moment ago: taken at once, no quiet period.
    assert ask(app_client, uid, "ProcessFilesFromFTP") == "1"
    with runtime.db.read_session() as session:
        upload_id = session.scalars(
            select(Upload.id).where(Upload.owner_id == uid, Upload.filename.like("harbour%"))
        ).one()
    item_id = ingest_now(runtime, upload_id).item_id
    assert ask(app_client, uid, "ImageIDByFileName", "harbour-at-dawn.jpg") == str(item_id)
    assert ask(app_client, uid, "SubmitToPending") == "1"
    assert ask(app_client, uid, "ImageData", str(item_id)).split("; ")[0] == "pending"
    with runtime.db.session() as session:
        reviewer = accounts.create_user(
            session, username="rex", password=PASSWORD, roles=[Role.REVIEWER]
        )
        item = session.get(MediaItem, item_id)
        assert item is not None
        workflow.approve(session, reviewer, item)
    data = ask(app_client, uid, "ImageData", str(item_id)).split("; ")
    assert (data[0], data[6]) == ("active", "harbour-at-dawn.jpg")
    assert not (inbox_dir(runtime.settings, uid) / "harbour-at-dawn.jpg").exists()


def test_an_empty_inbox_and_nothing_to_submit_answer_zero(
    shop: Shop, app_client: TestClient
) -> None:
    uid = shop.market.contributor
    assert ask(app_client, uid, "ProcessFilesFromFTP") == "0"
    assert ask(app_client, uid, "SubmitToPending") == "0"


# -- restrictions -----------------------------------------------------------------------


def check_limits(limiter: RequestLimiter, clock: FakeClock, shop: Shop, client: TestClient) -> None:
    """20 seconds between requests, one hour between identical queries."""
    client.app.state.cliparto_limiter = limiter  # type: ignore[attr-defined]
    uid = shop.market.contributor
    assert ask(client, uid, "DownloadsTotal") == "3"
    clock.now += 5
    assert ask(client, uid, "DownloadsThisMonth") == "Error: too many requests, wait 15 seconds"
    clock.now += 15
    assert ask(client, uid, "DownloadsThisMonth") == "1"
    assert ask(client, shop.other, "DownloadsTotal", code="otto-code") == "0"  # theirs
    clock.now += 20
    assert ask(client, uid, "DownloadsTotal") == (
        "Error: the same query was made less than an hour ago"
    )
    clock.now += 3600
    assert ask(client, uid, "DownloadsTotal") == "3"


def test_the_rate_limits_in_process(shop: Shop, app_client: TestClient) -> None:
    clock = FakeClock()
    check_limits(InProcessLimiter(20, 3600, clock), clock, shop, app_client)


def test_the_rate_limits_in_redis(shop: Shop, app_client: TestClient, redis_url: str) -> None:
    clock = FakeClock()
    limiter = RedisLimiter(redis_url, 20, 3600, clock, prefix=f"test:{uuid.uuid4().hex}:")
    try:
        check_limits(limiter, clock, shop, app_client)
    finally:
        limiter.close()


def test_refused_requests_do_not_use_the_limits(shop: Shop, app_client: TestClient) -> None:
    clock = FakeClock()
    app_client.app.state.cliparto_limiter = InProcessLimiter(20, 3600, clock)  # type: ignore[attr-defined]
    uid = shop.market.contributor
    assert ask(app_client, uid, "DownloadsTotal", code="guess") == "Error: wrong md5"
    assert ask(app_client, uid, "NoSuchQuery") == "Error: unknown query type"
    assert ask(app_client, uid, "DownloadsTotal") == "3"


def test_the_configured_limits_apply_by_default(runtime: Runtime, shop: Shop) -> None:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        uid = shop.market.contributor
        assert ask(client, uid, "DownloadsTotal") == "3"
        assert ask(client, uid, "DownloadsPrevMonth").startswith("Error: too many requests, wait ")


# -- never a 500 ------------------------------------------------------------------------


def test_hostile_parameters_never_cause_a_server_error(shop: Shop, app_client: TestClient) -> None:
    uid = shop.market.contributor
    raw_exts = ("%FF", "%ED%B3%BF", "%00", "%27+OR+1%3D1+--", "%E2%80%AE", "9" * 40, "%3A" * 50)
    for q in ("ImageData", "ImageIDByFileName", "AttachReleaseToImage", "DownloadsList"):
        for ext in raw_exts:
            response = app_client.get(f"/apiq/?id={uid}&q={q}&ext={ext}&md5={'0' * 32}")
            assert response.status_code == 200
            assert response.text == "Error: wrong md5"


@pytest.mark.parametrize("q", ["ImageData", "ImageIDByFileName", "AttachReleaseToImage"])
def test_a_signed_nul_byte_is_an_error_line(shop: Shop, app_client: TestClient, q: str) -> None:
    assert ask(app_client, shop.market.contributor, q, "12\x00:3").startswith("Error: unknown ")


def test_a_huge_user_id_is_a_wrong_id(shop: Shop, app_client: TestClient) -> None:
    assert ask(app_client, "99999999999", "BalanceCurrent") == "Error: wrong id"


def test_redis_limits_are_shared_by_server_processes(redis_url: str) -> None:
    clock, prefix = FakeClock(), f"test:{uuid.uuid4().hex}:"
    first, second = (RedisLimiter(redis_url, 20, 3600, clock, prefix=prefix) for _ in range(2))
    try:
        first.check(7, "7", "DownloadsTotal", "")
        clock.now += 19.5
        with pytest.raises(TooFrequent) as refused:
            second.check(7, "7", "BalanceCurrent", "")
        assert refused.value.retry_after_s == 0.5
    finally:
        first.close()
        second.close()


def test_redis_is_used_when_configured(redis_url: str) -> None:
    limiter = limiter_for(redis_url, 20, 3600)
    assert isinstance(limiter, RedisLimiter)
    limiter.close()
    assert isinstance(limiter_for(None, 20, 3600), InProcessLimiter)
