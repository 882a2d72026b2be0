"""License templates, price lists and royalty rates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.catalog.models import MediaKind, SizeOption
from stockhouse.commerce import prices
from stockhouse.commerce.models import ExtOption, License, Price, ProductType
from stockhouse.commerce.prices import PriceQuote
from stockhouse.errors import InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from tests.search.items_support import add_item


def _count(session: Session, table: type[License] | type[Price]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _license(session: Session, product_type: ProductType, extended: bool = False) -> License:
    return session.scalars(
        select(License).where(License.product_type == product_type, License.extended.is_(extended))
    ).one()


def test_defaults_make_a_standard_and_an_extended_license_per_product_type(
    runtime: Runtime,
) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        image = _license(session, ProductType.IMAGE)
        extended_image = _license(session, ProductType.IMAGE, extended=True)
        assert image.sizes == ["s", "m", "l", "xl", "vect"]
        assert extended_image.sizes == ["el0"]
        assert _license(session, ProductType.VIDEO).sizes == ["240", "480", "720", "1080", "4k"]
        assert _license(session, ProductType.AUDIO).sizes == ["original"]
        assert image.ext_options_allowed == 0
        assert extended_image.ext_options_allowed == 31


def test_defaults_are_idempotent_and_keep_admin_edits(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        image = _license(session, ProductType.IMAGE)
        prices.set_price(session, image.id, "s", amount_minor=150, credits=2)
        counts = (_count(session, License), _count(session, Price))
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        assert (_count(session, License), _count(session, Price)) == counts
        quote = prices.price_for(session, image, "s", 0, None)
        assert quote == PriceQuote(150, 2, "USD")


def test_default_prices_in_money_and_credits(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        image = _license(session, ProductType.IMAGE)
        assert prices.price_for(session, image, "s", 0, None) == PriceQuote(100, 1, "USD")
        assert prices.price_for(session, image, "xl", 0, None) == PriceQuote(1000, 10, "USD")
        extended = _license(session, ProductType.IMAGE, extended=True)
        assert prices.price_for(session, extended, "el0", 0, None) == PriceQuote(8000, 80, "USD")


def test_each_extended_option_adds_its_surcharge(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        extended = _license(session, ProductType.IMAGE, extended=True)
        options = ExtOption.UNLIMITED_PRINT | ExtOption.RESALE
        quote = prices.price_for(session, extended, "el0", int(options), None)
        assert quote == PriceQuote(8000 + 2000 + 6000, 80 + 20 + 60, "USD")


def test_a_groups_price_list_overrides_the_default_row_by_row(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        group = accounts.create_group(session, name="Acme")
        image = _license(session, ProductType.IMAGE)
        prices.set_price(session, image.id, "xl", amount_minor=700, credits=7, group=group)
        assert prices.price_for(session, image, "xl", 0, group) == PriceQuote(700, 7, "USD")
        assert prices.price_for(session, image, "m", 0, group) == PriceQuote(300, 3, "USD")
        assert prices.price_for(session, image, "xl", 0, None) == PriceQuote(1000, 10, "USD")


def test_a_license_priced_only_for_a_group_is_that_groups_alone(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        acme = accounts.create_group(session, name="Acme")
        other = accounts.create_group(session, name="Other")
        custom = prices.create_license(
            session, name="Acme print", product_type="image", size_codes=["xl"]
        )
        prices.set_price(session, custom.id, "xl", amount_minor=500, credits=5, group=acme)
        assert custom.id in [lic.id for lic in prices.licenses_for_group(session, acme)]
        assert custom.id not in [lic.id for lic in prices.licenses_for_group(session, other)]
        assert custom.id not in [lic.id for lic in prices.licenses_for_group(session, None)]


def test_inactive_licenses_are_not_offered(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        audio = _license(session, ProductType.AUDIO)
        prices.update_license(session, audio.id, active=False)
        assert audio.id not in [lic.id for lic in prices.licenses_for_group(session, None)]


def test_a_size_without_a_price_is_an_invalid_parameter(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        image = _license(session, ProductType.IMAGE)
        with pytest.raises(InvalidParameter) as caught:
            prices.price_for(session, image, "xxl", 0, None)
        assert caught.value.name == "size"


def test_set_price_refuses_sizes_and_options_the_license_does_not_have(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        image = _license(session, ProductType.IMAGE)
        with pytest.raises(InvalidParameter):
            prices.set_price(session, image.id, "4k", amount_minor=1, credits=1)
        with pytest.raises(InvalidParameter):
            prices.set_price(session, image.id, "*", amount_minor=1, credits=1, ext_option=8)
        with pytest.raises(InvalidParameter):
            prices.set_price(session, image.id, "s", amount_minor=-1, credits=1)
        with pytest.raises(NotFound):
            prices.set_price(session, 9999, "s", amount_minor=1, credits=1)


def test_create_license_validates_its_input(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        with pytest.raises(InvalidParameter):
            prices.create_license(session, name="x", product_type="hologram", size_codes=["s"])
        with pytest.raises(InvalidParameter):
            prices.create_license(session, name="x", product_type="image", size_codes=[])
        with pytest.raises(InvalidParameter):
            prices.create_license(
                session, name="x", product_type="image", size_codes=["s"], ext_options_allowed=64
            )
        with pytest.raises(InvalidParameter):
            prices.create_license(session, name=" ", product_type="image", size_codes=["s"])


def test_royalty_rates_by_level_with_beginner_as_fallback(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        assert prices.royalty_rate(session, "beginner") == Decimal("0.30")
        assert prices.royalty_rate(session, "bronze") == Decimal("0.35")
        assert prices.royalty_rate(session, "platinum") == Decimal("0.50")
        assert prices.royalty_rate(session, "unheard-of") == Decimal("0.30")
        prices.set_royalty_rate(session, "gold", Decimal("0.47"))
        assert prices.royalty_rate(session, "gold") == Decimal("0.47")
        with pytest.raises(InvalidParameter):
            prices.set_royalty_rate(session, "gold", Decimal("1.2"))


def test_from_price_is_the_lowest_standard_price_of_the_items_sizes(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        owner = accounts.create_user(session, username="pricey", password=None).id
        large_photo = add_item(session, owner)
        small_photo = add_item(session, owner)
        clip = add_item(session, owner, kind=MediaKind.VIDEO)
        song = add_item(session, owner, kind=MediaKind.MUSIC)
        unsized = add_item(session, owner)
        for item_id, codes in {
            large_photo: ["l", "xl", "el0"],
            small_photo: ["s", "m"],
            clip: ["720", "1080"],
        }.items():
            for position, code in enumerate(codes):
                session.add(SizeOption(item_id=item_id, code=code, position=position))
        session.flush()
        found = prices.from_prices(session, [large_photo, small_photo, clip, song, unsized, 10**6])
    # A photo without sizes and an unknown id are not for sale; audio is the file itself.
    assert found == {large_photo: 600, small_photo: 100, clip: 2000, song: 2000}


def test_from_price_follows_the_default_list(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        prices.ensure_default_licenses_and_prices(session)
        image = _license(session, ProductType.IMAGE)
        owner = accounts.create_user(session, username="pricey2", password=None).id
        photo = add_item(session, owner)
        session.add(SizeOption(item_id=photo, code="m", position=0))
        session.flush()
        prices.set_price(session, image.id, "m", amount_minor=250, credits=3)
        assert prices.from_prices(session, [photo]) == {photo: 250}
