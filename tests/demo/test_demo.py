"""`stockhouse demo`: a small demo marketplace built through the real pipeline.

Built once per module on SQLite: the demo writes through the same services as every other
test, and making media is the slow part, not the engine.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stockhouse.catalog.models import (
    ItemRelease,
    ItemStatus,
    ItemTranslation,
    MediaItem,
    MediaKind,
    Upload,
    UploadState,
    VideoFormat,
)
from stockhouse.config import load_settings
from stockhouse.db.migrate import upgrade_to_head
from stockhouse.demo import build_demo
from stockhouse.demo.catalog import MIN_PER_KIND, plan_catalog
from stockhouse.runtime import Runtime

ITEMS = 16


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir = tmp_path_factory.mktemp("demo")
    runtime = Runtime(load_settings({"data_dir": str(data_dir)}, environ={}))
    upgrade_to_head(runtime.db)
    build_demo(runtime, items=ITEMS)
    yield runtime
    runtime.close()


def test_the_default_plan_has_every_kind_the_contract_asks_for() -> None:
    kinds = Counter(item.kind for item in plan_catalog(300))
    assert kinds["video"] >= MIN_PER_KIND
    assert kinds["music"] + kinds["sfx"] >= MIN_PER_KIND
    assert kinds["vector"] >= MIN_PER_KIND
    assert sum(kinds.values()) == 300


def test_the_default_plan_spans_the_review_workflow() -> None:
    statuses = Counter(item.status for item in plan_catalog(300))
    assert set(statuses) == {"active", "uploaded", "pending", "rejected", "archived"}
    assert statuses["active"] > 200


@pytest.mark.parametrize("total", [20, 40, 60, 300])
def test_every_plan_has_a_hidden_photo(total: int) -> None:
    archived = [i for i in plan_catalog(total) if i.status == "archived"]
    assert any(item.kind == "photo" for item in archived)


def test_the_plan_is_the_same_on_every_run() -> None:
    assert plan_catalog(50) == plan_catalog(50)


def test_every_planned_item_went_through_the_pipeline(demo: Runtime) -> None:
    with demo.db.read_session() as session:
        states = session.execute(select(Upload.state, func.count()).group_by(Upload.state)).all()
    assert dict(states) == {UploadState.DONE: ITEMS}


def test_items_of_every_kind_exist(demo: Runtime) -> None:
    with demo.db.read_session() as session:
        kinds = set(session.scalars(select(MediaItem.kind)))
    assert {MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.VIDEO} <= kinds
    assert kinds & {MediaKind.MUSIC, MediaKind.SFX}


def test_every_item_is_translated_into_three_languages(demo: Runtime) -> None:
    with demo.db.read_session() as session:
        per_lang = dict(
            session.execute(
                select(ItemTranslation.lang, func.count()).group_by(ItemTranslation.lang)
            ).all()
        )
        german = session.scalars(
            select(ItemTranslation.title).where(ItemTranslation.lang == "de")
        ).first()
    assert per_lang == {"de": ITEMS, "fr": ITEMS, "es": ITEMS}
    assert german and german[0].isupper()


def test_active_items_are_published_and_visible(demo: Runtime) -> None:
    with demo.db.read_session() as session:
        items = session.scalars(select(MediaItem).where(MediaItem.status == ItemStatus.ACTIVE))
        active = list(items)
    assert active
    assert all(item.visible and item.published_at is not None for item in active)


def test_pal_clips_have_two_versions_of_one_format(demo: Runtime) -> None:
    with demo.db.read_session() as session:
        pal = session.scalars(select(VideoFormat).where(VideoFormat.name == "PAL")).first()
        assert pal is not None
        assert sorted((v.width, v.height) for v in pal.versions) == [(720, 576), (724, 576)]


def test_people_photos_carry_model_releases(demo: Runtime) -> None:
    with demo.db.read_session() as session:
        attached = session.scalar(select(func.count()).select_from(ItemRelease))
        people = session.scalar(
            select(func.count()).where(
                MediaItem.people_quantity.is_not(None),
                MediaItem.kind.in_([MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.ILLUSTRATION]),
            )
        )
    assert attached == people


def test_rerunning_the_demo_keeps_what_exists(demo: Runtime) -> None:
    path = Path(demo.settings.data_dir) / "demo-credentials.json"
    before = path.read_text()
    build_demo(demo, items=ITEMS)
    with demo.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(MediaItem)) == ITEMS
    assert path.read_text() == before
    assert json.loads(before)["cliparto"]["id"] == "176050"


def test_the_demo_has_a_licensing_history_that_balances(demo: Runtime) -> None:
    from stockhouse.commerce import ledger
    from stockhouse.commerce.models import Invoice, LicenseTransaction, LicenseTransfer

    with demo.db.read_session() as session:
        statuses = set(session.scalars(select(LicenseTransaction.status)))
        report = ledger.check(session)
        invoices = session.scalar(select(func.count()).select_from(Invoice))
        transfers = session.scalar(select(func.count()).select_from(LicenseTransfer))
    assert {s.value for s in statuses} >= {"paid", "uninvoiced", "invoiced"}
    assert report.unbalanced == [] and report.mismatched == [] and report.overdrawn == []
    assert invoices == 1
    assert transfers >= 1


def test_the_prepaid_group_can_still_license_fifty_items(demo: Runtime) -> None:
    from stockhouse.accounts import service as accounts
    from stockhouse.commerce import ledger
    from stockhouse.commerce.models import AccountKind

    with demo.db.read_session() as session:
        group = accounts.get_group_by_name(session, "Acme Media (prepaid)")
        account = ledger.find_account(
            session, AccountKind.GROUP_BALANCE, group_id=group.id, currency="USD"
        )
        assert account is not None
        assert account.balance_minor >= 50 * 2000  # fifty licenses at the dearest demo price


def test_search_finds_every_published_item_right_after_the_demo(demo: Runtime) -> None:
    from stockhouse.search.query import SearchQuery
    from stockhouse.search.service import search

    with demo.db.read_session() as session:
        published = session.scalar(
            select(func.count())
            .select_from(MediaItem)
            .where(MediaItem.status == ItemStatus.ACTIVE, MediaItem.visible.is_(True))
        )
    page = search(demo, SearchQuery(limit=100))
    assert page.total == published > 0
