"""Bins: names unique per user, one active bin, private vs public, and the generation counter."""

from __future__ import annotations

import pytest

from stockhouse.catalog.models import ItemStatus
from stockhouse.commerce import bins
from stockhouse.errors import Conflict, InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import Shop, fresh, open_shop, photo_id


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


def make_bins(runtime: Runtime, shop: Shop, *names: str, public: bool = False) -> list[int]:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        return [bins.create_bin(session, buyer, name, public=public).id for name in names]


def summaries(runtime: Runtime, shop: Shop) -> list[bins.BinSummary]:
    with runtime.db.read_session() as session:
        return bins.list_bins(session, fresh(session, shop.buyer))


def active_names(runtime: Runtime, shop: Shop) -> list[str]:
    return [s.name for s in summaries(runtime, shop) if s.active]


def test_the_first_bin_becomes_active_and_later_ones_do_not(runtime: Runtime, shop: Shop) -> None:
    make_bins(runtime, shop, "cats", "dogs")
    assert active_names(runtime, shop) == ["cats"]


def test_set_active_moves_the_mark(runtime: Runtime, shop: Shop) -> None:
    _, dogs = make_bins(runtime, shop, "cats", "dogs")
    with runtime.db.session() as session:
        bins.set_active(session, fresh(session, shop.buyer), dogs)
    assert active_names(runtime, shop) == ["dogs"]
    with runtime.db.read_session() as session:
        active = bins.active_bin(session, fresh(session, shop.buyer))
        assert active is not None and active.id == dogs


def test_deleting_the_active_bin_passes_the_mark_to_the_oldest(
    runtime: Runtime, shop: Shop
) -> None:
    _, _, birds = make_bins(runtime, shop, "cats", "dogs", "birds")
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        bins.set_active(session, buyer, birds)
        bins.delete_bin(session, buyer, birds)
    assert [(s.name, s.active) for s in summaries(runtime, shop)] == [
        ("cats", True),
        ("dogs", False),
    ]


def test_a_user_without_bins_has_no_active_bin(runtime: Runtime, shop: Shop) -> None:
    [only] = make_bins(runtime, shop, "cats")
    with runtime.db.session() as session:
        bins.delete_bin(session, fresh(session, shop.buyer), only)
    with runtime.db.read_session() as session:
        assert bins.active_bin(session, fresh(session, shop.buyer)) is None


def test_names_are_unique_per_user_but_not_across_users(runtime: Runtime, shop: Shop) -> None:
    make_bins(runtime, shop, "cats")
    with runtime.db.session() as session:
        with pytest.raises(Conflict):
            bins.create_bin(session, fresh(session, shop.buyer), " cats ")
        assert bins.create_bin(session, fresh(session, shop.rival), "cats").active


def test_renaming_to_a_taken_name_is_refused(runtime: Runtime, shop: Shop) -> None:
    cats, _ = make_bins(runtime, shop, "cats", "dogs")
    with runtime.db.session() as session, pytest.raises(Conflict):
        bins.rename_bin(session, fresh(session, shop.buyer), cats, "dogs")


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "tab\tname"])
def test_bad_names_are_refused(runtime: Runtime, shop: Shop, name: str) -> None:
    with runtime.db.session() as session, pytest.raises(InvalidParameter) as caught:
        bins.create_bin(session, fresh(session, shop.buyer), name)
    assert caught.value.name == "name"


def test_adding_and_removing_items_counts_and_bumps_the_generation(
    runtime: Runtime, shop: Shop
) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    first, second = photo_id(runtime, shop.seller), photo_id(runtime, shop.seller)
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        added = bins.add_items(session, buyer, cats, [first, second, first])
        assert (added.added, added.removed, added.generation) == (2, 0, 1)
        again = bins.add_items(session, buyer, cats, [first])
        assert (again.added, again.generation) == (0, 1)  # nothing changed: same generation
        removed = bins.remove_items(session, buyer, cats, [first, 999999])
        assert (removed.removed, removed.generation) == (1, 2)
    [summary] = summaries(runtime, shop)
    assert (summary.item_count, summary.generation) == (1, 2)


def test_renaming_bumps_the_generation_and_sharing_does_not(runtime: Runtime, shop: Shop) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        assert bins.rename_bin(session, buyer, cats, "kittens").generation == 1
        assert bins.rename_bin(session, buyer, cats, "kittens").generation == 1
        assert bins.set_public(session, buyer, cats, True).generation == 1


def test_items_keep_the_order_they_were_added_in(runtime: Runtime, shop: Shop) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    ids = [photo_id(runtime, shop.seller) for _ in range(3)]
    with runtime.db.session() as session:
        bins.add_items(session, fresh(session, shop.buyer), cats, [ids[2], ids[0], ids[1]])
    with runtime.db.read_session() as session:
        contents = bins.get_bin(session, fresh(session, shop.buyer), cats)
        assert [item.id for item in contents.items] == [ids[2], ids[0], ids[1]]


@pytest.mark.parametrize("status", [ItemStatus.PENDING, ItemStatus.ARCHIVED, ItemStatus.REJECTED])
def test_only_published_items_can_be_added(
    runtime: Runtime, shop: Shop, status: ItemStatus
) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    unpublished = photo_id(runtime, shop.seller, status=status)
    published = photo_id(runtime, shop.seller)
    with runtime.db.session() as session, pytest.raises(NotFound):
        bins.add_items(session, fresh(session, shop.buyer), cats, [published, unpublished])
    [summary] = summaries(runtime, shop)
    assert (summary.item_count, summary.generation) == (0, 0)  # all or nothing


def test_unknown_items_cannot_be_added(runtime: Runtime, shop: Shop) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    with runtime.db.session() as session, pytest.raises(NotFound):
        bins.add_items(session, fresh(session, shop.buyer), cats, [424242])


def test_someone_elses_private_bin_does_not_exist(runtime: Runtime, shop: Shop) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    item = photo_id(runtime, shop.seller)
    with runtime.db.session() as session:
        rival = fresh(session, shop.rival)
        with pytest.raises(NotFound):
            bins.get_bin(session, rival, cats)
        with pytest.raises(NotFound):
            bins.get_bin(session, None, cats)
        with pytest.raises(NotFound):
            bins.add_items(session, rival, cats, [item])
        with pytest.raises(NotFound):
            bins.rename_bin(session, rival, cats, "mine now")
        with pytest.raises(NotFound):
            bins.set_active(session, rival, cats)
        with pytest.raises(NotFound):
            bins.delete_bin(session, rival, cats)


def test_a_public_bin_is_readable_by_anyone_but_changed_only_by_its_owner(
    runtime: Runtime, shop: Shop
) -> None:
    [cats] = make_bins(runtime, shop, "cats", public=True)
    item = photo_id(runtime, shop.seller)
    with runtime.db.session() as session:
        bins.add_items(session, fresh(session, shop.buyer), cats, [item])
    with runtime.db.session() as session:
        rival = fresh(session, shop.rival)
        assert [i.id for i in bins.get_bin(session, rival, cats).items] == [item]
        assert [i.id for i in bins.get_bin(session, None, cats).items] == [item]
        with pytest.raises(NotFound):
            bins.remove_items(session, rival, cats, [item])


def test_others_see_only_the_items_still_published(runtime: Runtime, shop: Shop) -> None:
    [cats] = make_bins(runtime, shop, "cats", public=True)
    kept, withdrawn = photo_id(runtime, shop.seller), photo_id(runtime, shop.seller)
    with runtime.db.session() as session:
        bins.add_items(session, fresh(session, shop.buyer), cats, [kept, withdrawn])
        from stockhouse.catalog.models import MediaItem

        archived = session.get(MediaItem, withdrawn)
        assert archived is not None
        archived.status = ItemStatus.ARCHIVED
    with runtime.db.read_session() as session:
        assert [i.id for i in bins.get_bin(session, fresh(session, shop.rival), cats).items] == [
            kept
        ]


def test_deleting_a_bin_keeps_the_items(runtime: Runtime, shop: Shop) -> None:
    [cats] = make_bins(runtime, shop, "cats")
    item = photo_id(runtime, shop.seller)
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        bins.add_items(session, buyer, cats, [item])
        bins.delete_bin(session, buyer, cats)
        assert bins.list_bins(session, buyer) == []
        from stockhouse.catalog.models import MediaItem

        assert session.get(MediaItem, item) is not None
