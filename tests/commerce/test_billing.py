"""Billing addresses: seed 003's fields, validated, with exactly one default per user."""

from __future__ import annotations

import pytest

from stockhouse.commerce import billing
from stockhouse.commerce.billing import AddressFields
from stockhouse.errors import InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import Shop, fresh, open_shop

HOME = AddressFields(
    first_name="Bert",
    last_name="Baker",
    street1="1 Main St",
    city="Albany",
    state="ny",
    postal_code="12207",
    country="us",
)
OFFICE = AddressFields(company_name="Baker GmbH", city="Berlin", country="DE", vat_id="DE123")


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


def defaults(runtime: Runtime, shop: Shop) -> list[tuple[str, bool]]:
    with runtime.db.read_session() as session:
        return [
            (a.city, a.is_default)
            for a in billing.list_addresses(session, fresh(session, shop.buyer))
        ]


def test_first_address_becomes_the_default(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        address = billing.add_address(session, fresh(session, shop.buyer), HOME)
        assert address.is_default
        assert (address.country, address.state) == ("US", "NY")  # codes in capitals
    assert defaults(runtime, shop) == [("Albany", True)]


def test_later_addresses_are_not_default_unless_asked(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        billing.add_address(session, buyer, HOME)
        billing.add_address(session, buyer, OFFICE)
    assert defaults(runtime, shop) == [("Albany", True), ("Berlin", False)]


def test_adding_a_default_moves_the_mark(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        billing.add_address(session, buyer, HOME)
        billing.add_address(session, buyer, OFFICE, make_default=True)
    assert defaults(runtime, shop) == [("Albany", False), ("Berlin", True)]


def test_switching_the_default_back_and_forth(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        home = billing.add_address(session, buyer, HOME)
        office = billing.add_address(session, buyer, OFFICE)
        billing.set_default(session, buyer, office.id)
    assert defaults(runtime, shop) == [("Albany", False), ("Berlin", True)]
    with runtime.db.session() as session:
        billing.update_address(
            session, fresh(session, shop.buyer), home.id, AddressFields(), make_default=True
        )
    assert defaults(runtime, shop) == [("Albany", True), ("Berlin", False)]


def test_deleting_the_default_passes_it_to_the_oldest_left(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        billing.add_address(session, buyer, HOME)
        billing.add_address(session, buyer, OFFICE)
        third = billing.add_address(
            session, buyer, AddressFields(city="Paris", country="FR"), make_default=True
        )
        billing.delete_address(session, buyer, third.id)
    assert defaults(runtime, shop) == [("Albany", True), ("Berlin", False)]


def test_update_changes_only_the_given_fields(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        address = billing.add_address(session, buyer, HOME)
        billing.update_address(session, buyer, address.id, AddressFields(street2="Apt 4"))
    with runtime.db.read_session() as session:
        [stored] = billing.list_addresses(session, fresh(session, shop.buyer))
        assert (stored.street1, stored.street2, stored.state) == ("1 Main St", "Apt 4", "NY")


def test_checkout_uses_the_named_address_or_the_default(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        assert billing.resolve_address(session, buyer, None) is None
        home = billing.add_address(session, buyer, HOME)
        office = billing.add_address(session, buyer, OFFICE)
        assert billing.resolve_address(session, buyer, None) is home
        assert billing.resolve_address(session, buyer, office.id) is office


def test_someone_elses_address_does_not_exist_for_you(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        theirs = billing.add_address(session, fresh(session, shop.rival), OFFICE)
        buyer = fresh(session, shop.buyer)
        with pytest.raises(NotFound):
            billing.get_address(session, buyer, theirs.id)
        with pytest.raises(NotFound):
            billing.update_address(session, buyer, theirs.id, AddressFields(city="x"))
        with pytest.raises(NotFound):
            billing.set_default(session, buyer, theirs.id)


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("country", AddressFields(city="x")),  # a new address needs a country
        ("country", AddressFields(country="USA")),
        ("country", AddressFields(country="XX")),
        ("country", AddressFields(country="1")),
        ("state", AddressFields(country="US", state="ZZ")),
        ("state", AddressFields(country="DE", state="NY")),  # state is for U.S. addresses
        ("city", AddressFields(country="DE", city="x" * 101)),
        ("postal_code", AddressFields(country="DE", postal_code="1" * 21)),
        ("first_name", AddressFields(country="DE", first_name="Bert\x00")),
    ],
)
def test_bad_fields_are_refused_by_name(
    runtime: Runtime, shop: Shop, field: str, values: AddressFields
) -> None:
    with runtime.db.session() as session, pytest.raises(InvalidParameter) as caught:
        billing.add_address(session, fresh(session, shop.buyer), values)
    assert caught.value.name == field


def test_an_update_cannot_break_an_address(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        address = billing.add_address(session, buyer, HOME)
        with pytest.raises(InvalidParameter) as caught:
            billing.update_address(session, buyer, address.id, AddressFields(country="DE"))
        assert caught.value.name == "state"  # NY is no longer a valid state for DE
    with runtime.db.read_session() as session:
        [stored] = billing.list_addresses(session, fresh(session, shop.buyer))
        assert (stored.country, stored.state) == ("US", "NY")
