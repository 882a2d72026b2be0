"""Licensing an item: the refusals, the payment paths, the royalty split, idempotency."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from stockhouse.accounts.models import Group, User
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, VideoFormat
from stockhouse.commerce import ledger, prices
from stockhouse.commerce.licensing import (
    LicenseRequest,
    LicenseResult,
    license_item,
    licensed_items,
    transaction_info,
)
from stockhouse.commerce.models import (
    AccountKind,
    ExtOption,
    LedgerEntry,
    LedgerTransaction,
    LicenseTransaction,
    PaymentMethod,
    ProductType,
    TransactionStatus,
)
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InsufficientFunds, InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from tests.commerce.licensing_support import Market, fund, fund_group, make_media, open_market

IMAGE = ProductType.IMAGE


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


def _license(
    runtime: Runtime, buyer_id: int, item_id: int, license_id: int, size: str, **kwargs: object
) -> LicenseResult:
    with runtime.db.session() as session:
        buyer = session.get_one(User, buyer_id)
        request = LicenseRequest(
            buyer=buyer,
            item_id=item_id,
            license_id=license_id,
            size_code=size,
            **kwargs,  # type: ignore[arg-type]
        )
        return license_item(session, request)


def _balance(runtime: Runtime, kind: AccountKind, currency: str = "USD", **owner: int) -> int:
    with runtime.db.read_session() as session:
        return ledger.balance_of(session, kind, currency=currency, **owner)


def _photo(
    runtime: Runtime, market: Market, buyer: int, size: str = "s", **kw: object
) -> LicenseResult:
    return _license(runtime, buyer, market.photo, market.license(IMAGE), size, **kw)


def _ledger_ok(runtime: Runtime) -> bool:
    with runtime.db.read_session() as session:
        return ledger.check(session).ok


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ItemStatus.PENDING, ItemStatus.ARCHIVED, ItemStatus.REJECTED])
def test_an_item_that_is_not_active_is_not_found(
    runtime: Runtime, market: Market, status: ItemStatus
) -> None:
    with runtime.db.session() as session:
        item_id = make_media(session, market.contributor, status=status).id
    fund_group(runtime, market.prepaid, 10_000)
    with pytest.raises(NotFound):
        _license(runtime, market.member, item_id, market.license(IMAGE), "s")


def test_a_hidden_item_is_not_found(runtime: Runtime, market: Market) -> None:
    with runtime.db.session() as session:
        item_id = make_media(session, market.contributor, visible=False).id
    with pytest.raises(NotFound):
        _license(runtime, market.member, item_id, market.license(IMAGE), "s")


def test_an_unknown_item_is_not_found(runtime: Runtime, market: Market) -> None:
    with pytest.raises(NotFound):
        _license(runtime, market.member, 987654, market.license(IMAGE), "s")


def test_an_unknown_license_is_not_found(runtime: Runtime, market: Market) -> None:
    with pytest.raises(NotFound):
        _license(runtime, market.member, market.photo, 987654, "s")


def test_an_inactive_license_is_not_found(runtime: Runtime, market: Market) -> None:
    with runtime.db.session() as session:
        prices.update_license(session, market.license(IMAGE), active=False)
    with pytest.raises(NotFound):
        _photo(runtime, market, market.member)


def test_a_size_the_license_does_not_cover_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _photo(runtime, market, market.member, "1080")
    assert caught.value.name == "size"


def test_a_size_the_item_does_not_have_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _photo(runtime, market, market.member, "vect")  # a photo has no vector size
    assert caught.value.name == "size"


def test_a_malformed_size_code_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _photo(runtime, market, market.member, "'; DROP TABLE price; --")
    assert caught.value.name == "size"


def test_a_license_of_another_product_type_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _license(runtime, market.member, market.photo, market.license(ProductType.VIDEO), "720")
    assert caught.value.name == "license_id"


def test_ext_options_the_license_does_not_allow_are_refused(
    runtime: Runtime, market: Market
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _photo(runtime, market, market.member, ext_options=int(ExtOption.RESALE))
    assert caught.value.name == "ext_options"


def test_an_extended_license_on_an_item_that_forbids_it_is_refused(
    runtime: Runtime, market: Market
) -> None:
    with runtime.db.session() as session:
        item_id = make_media(session, market.contributor, extended_allowed=False).id
    fund_group(runtime, market.prepaid, 100_000)
    with pytest.raises(InvalidParameter) as caught:
        _license(runtime, market.member, item_id, market.license(IMAGE, True), "el0")
    assert caught.value.name == "license_id"


def test_another_groups_license_is_not_found(runtime: Runtime, market: Market) -> None:
    with runtime.db.session() as session:
        custom = prices.create_license(
            session, name="Oz only", product_type="image", size_codes=["s"]
        )
        oz = session.get_one(Group, market.other_group)
        prices.set_price(session, custom.id, "s", amount_minor=1, credits=1, group=oz)
        custom_id = custom.id
    fund_group(runtime, market.prepaid, 10_000)
    with pytest.raises(NotFound):
        _license(runtime, market.member, market.photo, custom_id, "s")
    fund_group(runtime, market.other_group, 10_000)
    assert (
        _license(runtime, market.outsider, market.photo, custom_id, "s").transaction.price_minor
        == 1
    )


def test_insufficient_group_balance_is_refused_and_charges_nothing(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 999)
    with pytest.raises(InsufficientFunds):
        _photo(runtime, market, market.member, "xl")  # 1000
    assert _balance(runtime, AccountKind.GROUP_BALANCE, group_id=market.prepaid) == 999
    with runtime.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(LicenseTransaction)) == 0
        assert session.get_one(MediaItem, market.photo).downloads == 0


def test_a_caught_refusal_leaves_the_transaction_usable_and_without_trace(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 999)
    with runtime.db.session() as session:
        buyer = session.get_one(User, market.member)
        wish = LicenseRequest(
            buyer=buyer, item_id=market.photo, license_id=market.license(IMAGE), size_code="xl"
        )
        with pytest.raises(InsufficientFunds):
            license_item(session, wish)  # 1000
        license_item(session, replace(wish, size_code="s"))  # 100, same transaction
    assert _balance(runtime, AccountKind.GROUP_BALANCE, group_id=market.prepaid) == 899
    with runtime.db.read_session() as session:
        assert session.scalars(select(LicenseTransaction.size_code)).all() == ["s"]
        kinds = session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.id))
        assert kinds.all() == ["refill", "license"]
        assert session.get_one(MediaItem, market.photo).downloads == 1
    assert _ledger_ok(runtime)


def test_a_buyer_without_money_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InsufficientFunds):
        _photo(runtime, market, market.solo)


def test_a_foreign_groups_transaction_is_not_found(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    transaction_id = _photo(runtime, market, market.member).transaction.id
    with runtime.db.read_session() as session:
        outsider = session.get_one(User, market.outsider)
        with pytest.raises(NotFound):
            transaction_info(session, outsider, transaction_id)


# -- paying -----------------------------------------------------------------------------


def test_prepaid_group_pays_from_its_balance(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    result = _photo(runtime, market, market.member, "xl")
    transaction = result.transaction
    assert (transaction.status, transaction.payment_method) == (
        TransactionStatus.PAID,
        PaymentMethod.BALANCE,
    )
    assert (transaction.price_minor, transaction.currency, transaction.group_id) == (
        1000,
        "USD",
        market.prepaid,
    )
    assert result.download_path == f"/v1/downloads/{transaction.id}"
    assert _balance(runtime, AccountKind.GROUP_BALANCE, group_id=market.prepaid) == 9000
    assert _ledger_ok(runtime)


def test_royalty_split_is_exact(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    transaction = _photo(runtime, market, market.member, "xl").transaction  # 1000 at 0.35
    assert transaction.royalty_minor == 350
    assert _balance(runtime, AccountKind.CONTRIBUTOR_EARNINGS, user_id=market.contributor) == 350
    assert _balance(runtime, AccountKind.PLATFORM_REVENUE) == 650


def test_royalty_rounds_half_up(runtime: Runtime, market: Market) -> None:
    with runtime.db.session() as session:
        prices.set_price(session, market.license(IMAGE), "s", amount_minor=10, credits=1)
    fund_group(runtime, market.prepaid, 10_000)
    assert _photo(runtime, market, market.member).transaction.royalty_minor == 4  # 3.5 -> 4
    assert _balance(runtime, AccountKind.PLATFORM_REVENUE) == 6


def test_payment_royalty_and_revenue_are_one_ledger_transaction(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    transaction = _photo(runtime, market, market.member, "m").transaction
    with runtime.db.read_session() as session:
        amounts = session.scalars(
            select(LedgerEntry.amount_minor)
            .where(LedgerEntry.transaction_id == transaction.ledger_transaction_id)
            .order_by(LedgerEntry.amount_minor)
        ).all()
    assert amounts == [-300, 105, 195]


def test_postpaid_group_makes_an_uninvoiced_transaction(runtime: Runtime, market: Market) -> None:
    transaction = _photo(runtime, market, market.postpaid_member, "l").transaction
    assert (transaction.status, transaction.payment_method) == (
        TransactionStatus.UNINVOICED,
        PaymentMethod.POSTPAID,
    )
    assert _balance(runtime, AccountKind.GROUP_RECEIVABLE, group_id=market.postpaid) == -600
    assert _ledger_ok(runtime)


def test_group_vat_is_charged_on_top_and_leaves_for_the_tax_authority(
    runtime: Runtime, market: Market
) -> None:
    with runtime.db.session() as session:
        group = session.get_one(Group, market.prepaid)
        group.vat_enabled, group.vat_rate = True, Decimal("0.19")
    fund_group(runtime, market.prepaid, 10_000)
    transaction = _photo(runtime, market, market.member, "l").transaction  # 600 + 114
    assert (transaction.price_minor, transaction.vat_minor) == (600, 114)
    assert _balance(runtime, AccountKind.GROUP_BALANCE, group_id=market.prepaid) == 10_000 - 714
    assert _balance(runtime, AccountKind.PLATFORM_REVENUE) == 600 - 210
    assert _ledger_ok(runtime)


def test_a_buyer_without_a_group_pays_from_their_cash(runtime: Runtime, market: Market) -> None:
    with runtime.db.session() as session:
        fund(session, AccountKind.USER_CASH, 500, user_id=market.solo)
    transaction = _photo(runtime, market, market.solo, "m").transaction
    assert (transaction.group_id, transaction.status) == (None, TransactionStatus.PAID)
    assert _balance(runtime, AccountKind.USER_CASH, user_id=market.solo) == 200


def test_credits_pay_the_credits_price_and_the_royalty_is_in_money(
    runtime: Runtime, market: Market
) -> None:
    with runtime.db.session() as session:
        fund(session, AccountKind.USER_CREDITS, 12, user_id=market.solo, currency="CRD")
    transaction = _photo(
        runtime, market, market.solo, "xl", payment_method=PaymentMethod.CREDITS
    ).transaction
    assert (transaction.payment_method, transaction.credits) == (PaymentMethod.CREDITS, 10)
    assert _balance(runtime, AccountKind.USER_CREDITS, "CRD", user_id=market.solo) == 2
    assert _balance(runtime, AccountKind.CONTRIBUTOR_EARNINGS, user_id=market.contributor) == 350
    assert _balance(runtime, AccountKind.PLATFORM_REVENUE, "CRD") == 10
    with pytest.raises(InsufficientFunds):
        _photo(runtime, market, market.solo, "m", payment_method=PaymentMethod.CREDITS)
    assert _ledger_ok(runtime)


def test_a_settled_quote_is_charged_instead_of_the_list_price(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    quote = prices.PriceQuote(amount_minor=800, credits=8, currency="USD")
    transaction = _photo(runtime, market, market.member, "xl", quote=quote).transaction
    assert (transaction.price_minor, transaction.royalty_minor) == (800, 280)


def test_audio_is_licensed_as_the_original(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    result = _license(
        runtime, market.member, market.music, market.license(ProductType.AUDIO), "original"
    )
    assert (result.transaction.size_code, result.transaction.price_minor) == ("original", 2000)


def test_video_records_the_chosen_format(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 100_000)
    video = market.license(ProductType.VIDEO)
    chosen = _license(runtime, market.member, market.video, video, "720", sub_offset=1)
    default = _license(runtime, market.member, market.video, video, "720")
    with runtime.db.read_session() as session:
        names = {
            f.id: f.name
            for f in session.scalars(select(VideoFormat).where(VideoFormat.item_id == market.video))
        }
    assert names[chosen.transaction.video_format_id] == "PAL"  # type: ignore[index]
    assert names[default.transaction.video_format_id] == "NTSC"  # type: ignore[index]
    with pytest.raises(InvalidParameter) as caught:
        _license(runtime, market.member, market.video, video, "720", sub_offset=7)
    assert caught.value.name == "sub_offset"


def test_extended_license_with_options_charges_the_surcharges(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 100_000)
    options = int(ExtOption.MULTI_SEAT | ExtOption.TRANSFER_RIGHTS)
    transaction = _license(
        runtime,
        market.member,
        market.photo,
        market.license(IMAGE, True),
        "el0",
        ext_options=options,
    ).transaction
    assert (transaction.price_minor, transaction.ext_options) == (8000 + 3000 + 4000, options)


def test_licensing_counts_a_download_of_the_item(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    _photo(runtime, market, market.member)
    _photo(runtime, market, market.member, "m")
    with runtime.db.read_session() as session:
        assert session.get_one(MediaItem, market.photo).downloads == 2


def test_buyer_details_are_recorded(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    transaction = _photo(
        runtime,
        market,
        market.member,
        project="  Spring campaign ",
        client="Acme",
        purchase_order="PO-7",
        isbn="978-3-16-148410-0",
        search_query="tulips",
    ).transaction
    assert (transaction.project, transaction.client, transaction.purchase_order) == (
        "Spring campaign",
        "Acme",
        "PO-7",
    )
    assert (transaction.buyer_country, transaction.search_query) == ("DE", "tulips")


def test_an_overlong_project_name_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _photo(runtime, market, market.member, project="p" * 201)
    assert caught.value.name == "project"


# -- idempotency ------------------------------------------------------------------------


def test_a_retry_with_the_same_key_charges_once(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    first = _photo(runtime, market, market.member, "xl", idempotency_key="order-1")
    again = _photo(runtime, market, market.member, "xl", idempotency_key="order-1")
    assert (again.transaction.id, again.replayed, first.replayed) == (
        first.transaction.id,
        True,
        False,
    )
    assert _balance(runtime, AccountKind.GROUP_BALANCE, group_id=market.prepaid) == 9000
    with runtime.db.read_session() as session:
        assert session.get_one(MediaItem, market.photo).downloads == 1


def test_a_retry_after_the_item_was_withdrawn_still_answers_the_first_result(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    first = _photo(runtime, market, market.member, idempotency_key="order-9")
    with runtime.db.session() as session:
        session.get_one(MediaItem, market.photo).status = ItemStatus.ARCHIVED
    again = _photo(runtime, market, market.member, idempotency_key="order-9")
    assert (again.transaction.id, again.replayed) == (first.transaction.id, True)
    assert _balance(runtime, AccountKind.GROUP_BALANCE, group_id=market.prepaid) == 9900


def test_the_same_key_for_a_different_request_is_a_conflict(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    _photo(runtime, market, market.member, "xl", idempotency_key="order-1")
    with pytest.raises(Conflict):
        _photo(runtime, market, market.member, "s", idempotency_key="order-1")


def test_keys_are_per_buyer(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    fund_group(runtime, market.other_group, 10_000)
    mine = _photo(runtime, market, market.member, idempotency_key="k")
    theirs = _photo(runtime, market, market.outsider, idempotency_key="k")
    assert mine.transaction.id != theirs.transaction.id
    assert not theirs.replayed


def test_a_malformed_idempotency_key_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _photo(runtime, market, market.member, idempotency_key="x" * 101)
    assert caught.value.name == "idempotency_key"


# -- listing ----------------------------------------------------------------------------


def test_licensed_items_of_a_group_with_filters(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    ids = [_photo(runtime, market, market.member, size).transaction.id for size in ("s", "m", "l")]
    _photo(runtime, market, market.postpaid_member)
    with runtime.db.read_session() as session:
        group = session.get_one(Group, market.prepaid)
        page = licensed_items(session, group, limit=2)
        assert ([t.id for t in page.items], page.total) == ([ids[2], ids[1]], 3)
        assert licensed_items(session, group, status=TransactionStatus.UNINVOICED).total == 0
        later = licensed_items(session, group, since=utcnow() + timedelta(hours=1))
        assert later.total == 0
        member = session.get_one(User, market.member)
        assert licensed_items(session, member).total == 3
        postpaid = session.get_one(Group, market.postpaid)
        uninvoiced = licensed_items(session, postpaid, status=TransactionStatus.UNINVOICED)
        assert uninvoiced.total == 1


def test_licensed_items_refuses_a_bad_page(runtime: Runtime, market: Market) -> None:
    with runtime.db.read_session() as session:
        member = session.get_one(User, market.member)
        with pytest.raises(InvalidParameter):
            licensed_items(session, member, limit=0)
        with pytest.raises(InvalidParameter):
            licensed_items(session, member, offset=-1)


def test_transaction_info_for_the_buyer_the_group_and_an_admin(
    runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    transaction_id = _photo(runtime, market, market.member).transaction.id
    with runtime.db.read_session() as session:
        for viewer in (market.member, market.admin):
            user = session.get_one(User, viewer)
            assert transaction_info(session, user, transaction_id).id == transaction_id
        with pytest.raises(NotFound):
            transaction_info(session, session.get_one(User, market.solo), transaction_id)


def test_vector_size_is_sold_for_vectors(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10_000)
    result = _license(runtime, market.member, market.vector, market.license(IMAGE), "vect")
    assert result.transaction.price_minor == 1000


def test_an_item_kind_maps_to_its_product_type() -> None:
    assert prices.product_type_of(MediaKind.ILLUSTRATION) == ProductType.IMAGE
    assert prices.product_type_of(MediaKind.SFX) == ProductType.AUDIO
    assert prices.product_type_of(MediaKind.VIDEO) == ProductType.VIDEO
