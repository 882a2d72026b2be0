"""Carts: lines with a format choice, priced by license and size, totalled with VAT and credits.

Default prices (commerce.prices): a photo's standard xl is 10.00 USD / 10 credits, its
standard m 3.00 / 3, its extended el0 80.00 / 80; a video's standard 1080 is 40.00 / 40.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.commerce import carts, credits, licensing, prices
from stockhouse.commerce.carts import ItemRef
from stockhouse.commerce.models import License, PaymentMethod, ProductType
from stockhouse.errors import InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import (
    Shop,
    fresh,
    join_vat_group,
    open_shop,
    photo_id,
    video_id,
)


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime)


def add(runtime: Runtime, shop: Shop, *refs: str, **choice: object) -> carts.CartChange:
    with runtime.db.session() as session:
        return carts.add_to_cart(
            session,
            fresh(session, shop.buyer),
            [carts.parse_item_ref(ref) for ref in refs],
            **choice,  # type: ignore[arg-type]
        )


def remove(runtime: Runtime, shop: Shop, *refs: str) -> carts.CartChange:
    with runtime.db.session() as session:
        return carts.remove_from_cart(
            session, fresh(session, shop.buyer), [carts.parse_item_ref(ref) for ref in refs]
        )


def view(runtime: Runtime, shop: Shop) -> carts.Cart:
    with runtime.db.session() as session:
        return carts.view_cart(session, fresh(session, shop.buyer))


def lines(runtime: Runtime, shop: Shop) -> list[tuple[int, int, str | None, int]]:
    return [
        (line.item_id, line.sub_offset, line.size_code, line.price_minor)
        for line in view(runtime, shop).lines
    ]


def license_id(runtime: Runtime, product_type: ProductType, *, extended: bool) -> int:
    with runtime.db.read_session() as session:
        return session.scalars(
            select(License.id).where(
                License.product_type == product_type, License.extended.is_(extended)
            )
        ).one()


# -- parsing ----------------------------------------------------------------------------


def test_item_refs_are_ids_with_an_optional_format() -> None:
    assert carts.parse_item_refs("123:0,653, 234:1,") == [
        ItemRef(123, 0),
        ItemRef(653, None),
        ItemRef(234, 1),
    ]


@pytest.mark.parametrize("text", ["abc", "1:2:3", "-1", "1:", ":1", "1.5", "99999999999999999999"])
def test_malformed_item_refs_are_refused(text: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        carts.parse_item_ref(text)
    assert caught.value.name == "item"


# -- adding and removing ----------------------------------------------------------------


def test_a_photo_is_priced_under_the_standard_license_at_its_largest_size(
    runtime: Runtime, shop: Shop
) -> None:
    photo = photo_id(runtime, shop.seller)
    change = add(runtime, shop, str(photo))
    assert (change.added, change.removed) == (1, 0)
    [line] = view(runtime, shop).lines
    assert line.license is not None
    assert (line.license.name, line.license.extended) == ("Standard", False)
    assert (line.size_code, line.price_minor, line.credits, line.currency) == (
        "xl",
        1000,
        10,
        "USD",
    )
    assert not line.chosen


def test_a_video_line_is_one_of_its_formats(runtime: Runtime, shop: Shop) -> None:
    clip = video_id(runtime, shop.seller, formats_named=("PAL", "NTSC"))
    add(runtime, shop, str(clip), f"{clip}:1")
    assert lines(runtime, shop) == [(clip, 0, "1080", 4000), (clip, 1, "1080", 4000)]


def test_adding_a_line_twice_adds_it_once(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    add(runtime, shop, str(photo))
    assert add(runtime, shop, str(photo), f"{photo}:0").added == 0
    assert len(lines(runtime, shop)) == 1


def test_an_unknown_format_is_refused(runtime: Runtime, shop: Shop) -> None:
    clip = video_id(runtime, shop.seller, formats_named=("PAL",))
    with pytest.raises(InvalidParameter) as caught:
        add(runtime, shop, f"{clip}:7")
    assert caught.value.name == "sub_offset"


def test_a_photo_has_no_formats(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    with pytest.raises(InvalidParameter) as caught:
        add(runtime, shop, f"{photo}:1")
    assert caught.value.name == "sub_offset"


@pytest.mark.parametrize("status", [ItemStatus.PENDING, ItemStatus.ARCHIVED])
def test_only_published_items_can_be_added(
    runtime: Runtime, shop: Shop, status: ItemStatus
) -> None:
    unpublished = photo_id(runtime, shop.seller, status=status)
    with pytest.raises(NotFound):
        add(runtime, shop, str(unpublished))
    with pytest.raises(NotFound):
        add(runtime, shop, "424242")


def test_a_refused_item_leaves_the_cart_unchanged(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    with pytest.raises(NotFound):
        add(runtime, shop, str(photo), "424242")
    assert lines(runtime, shop) == []


def test_a_chosen_size_sets_the_price(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    add(runtime, shop, str(photo), size_code="m")
    [line] = view(runtime, shop).lines
    assert (line.size_code, line.price_minor, line.credits, line.chosen) == ("m", 300, 3, True)


def test_a_chosen_license_sets_the_price(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    extended = license_id(runtime, ProductType.IMAGE, extended=True)
    add(runtime, shop, str(photo), license_id=extended)
    assert lines(runtime, shop) == [(photo, 0, "el0", 8000)]


def test_choices_that_do_not_fit_the_item_are_refused(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    with pytest.raises(InvalidParameter) as caught:
        add(runtime, shop, str(photo), size_code="1080")
    assert caught.value.name == "size"
    video_license = license_id(runtime, ProductType.VIDEO, extended=False)
    with pytest.raises(InvalidParameter) as caught:
        add(runtime, shop, str(photo), license_id=video_license)
    assert caught.value.name == "license_id"
    with pytest.raises(NotFound):
        add(runtime, shop, str(photo), license_id=999)


def test_removing_by_format_or_whole_item(runtime: Runtime, shop: Shop) -> None:
    clip = video_id(runtime, shop.seller, formats_named=("PAL", "NTSC"))
    photo = photo_id(runtime, shop.seller)
    add(runtime, shop, f"{clip}:0", f"{clip}:1", str(photo))
    assert remove(runtime, shop, f"{clip}:1").removed == 1
    assert [line[:2] for line in lines(runtime, shop)] == [(clip, 0), (photo, 0)]
    add(runtime, shop, f"{clip}:1")
    assert remove(runtime, shop, str(clip), "424242").removed == 2
    assert [line[:2] for line in lines(runtime, shop)] == [(photo, 0)]


def test_clearing_the_cart(runtime: Runtime, shop: Shop) -> None:
    add(runtime, shop, str(photo_id(runtime, shop.seller)), str(photo_id(runtime, shop.seller)))
    with runtime.db.session() as session:
        assert carts.clear_cart(session, fresh(session, shop.buyer)) == 2
    assert lines(runtime, shop) == []


def test_a_cart_is_its_owners_alone(runtime: Runtime, shop: Shop) -> None:
    add(runtime, shop, str(photo_id(runtime, shop.seller)))
    with runtime.db.session() as session:
        assert carts.view_cart(session, fresh(session, shop.rival)).lines == []


# -- warnings ---------------------------------------------------------------------------


def test_adding_reports_items_bought_before_and_own_items(runtime: Runtime, shop: Shop) -> None:
    bought = photo_id(runtime, shop.seller)
    own = photo_id(runtime, shop.buyer)
    fresh_item = photo_id(runtime, shop.seller)
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        credits.grant_credits(session, buyer, 10)
        licensing.license_item(
            session,
            licensing.LicenseRequest(
                buyer=buyer,
                item_id=bought,
                license_id=license_id(runtime, ProductType.IMAGE, extended=False),
                size_code="xl",
                payment_method=PaymentMethod.CREDITS,
            ),
        )
    change = add(runtime, shop, str(bought), str(own), str(fresh_item))
    assert (change.bought_before, change.own_clips) == ([bought], [own])
    cart = view(runtime, shop)
    assert (cart.bought_before, cart.own_clips) == ([bought], [own])


# -- totals -----------------------------------------------------------------------------


def fill_cart(runtime: Runtime, shop: Shop) -> None:
    """xl photo 10.00 + 1080 video 40.00 + m photo 3.00 = 53.00 USD, 53 credits."""
    add(runtime, shop, str(photo_id(runtime, shop.seller)))
    add(runtime, shop, str(video_id(runtime, shop.seller)))
    add(runtime, shop, str(photo_id(runtime, shop.seller)), size_code="m")


def test_totals_without_vat(runtime: Runtime, shop: Shop) -> None:
    fill_cart(runtime, shop)
    with runtime.db.session() as session:
        credits.grant_credits(session, fresh(session, shop.buyer), 60)
    totals = view(runtime, shop).totals
    assert (totals.before_discounts_minor, totals.discount_minor) == (5300, 0)
    assert totals.discount_percentage == Decimal(0)
    assert (totals.after_discounts_minor, totals.before_vat_minor) == (5300, 5300)
    assert (totals.vat.applies, totals.vat_minor) == (False, 0)
    assert (totals.after_vat_minor, totals.final_minor, totals.currency) == (5300, 5300, "USD")
    assert (totals.credits_total, totals.credits_available, totals.credits_remaining) == (53, 60, 7)


def test_totals_with_the_groups_vat_per_line(runtime: Runtime, shop: Shop) -> None:
    join_vat_group(runtime, shop.buyer, rate="0.055")
    fill_cart(runtime, shop)
    cart = view(runtime, shop)
    # 5.5% of 10.00, 40.00 and 3.00: 0.55 + 2.20 + 0.165 (half up: 0.17) = 2.92
    assert [line.vat_minor for line in cart.lines] == [55, 220, 17]
    totals = cart.totals
    assert totals.vat.percentage == Decimal("5.5")
    assert (totals.before_vat_minor, totals.vat_minor, totals.after_vat_minor) == (5300, 292, 5592)


def test_an_empty_cart_totals_zero(runtime: Runtime, shop: Shop) -> None:
    totals = view(runtime, shop).totals
    assert (totals.before_discounts_minor, totals.final_minor, totals.credits_total) == (0, 0, 0)


def test_prices_follow_the_price_list_until_purchase(runtime: Runtime, shop: Shop) -> None:
    photo = photo_id(runtime, shop.seller)
    add(runtime, shop, str(photo))
    standard = license_id(runtime, ProductType.IMAGE, extended=False)
    with runtime.db.session() as session:
        prices.set_price(session, standard, "xl", amount_minor=1234, credits=12)
    assert lines(runtime, shop) == [(photo, 0, "xl", 1234)]


def test_a_withdrawn_item_stays_but_counts_in_no_total(runtime: Runtime, shop: Shop) -> None:
    kept, withdrawn = photo_id(runtime, shop.seller), photo_id(runtime, shop.seller)
    add(runtime, shop, str(kept), str(withdrawn))
    with runtime.db.session() as session:
        item = session.get(MediaItem, withdrawn)
        assert item is not None
        item.status = ItemStatus.ARCHIVED
    cart = view(runtime, shop)
    assert [(line.item_id, line.problem is None) for line in cart.lines] == [
        (kept, True),
        (withdrawn, False),
    ]
    assert cart.totals.before_discounts_minor == 1000
