"""Billing addresses (seed 003's get_billing_addresses / set_billing_address).

A user keeps any number of addresses up to MAX_ADDRESSES_PER_USER; exactly one of them is
the default whenever they have any: the first address becomes the default, making another
the default moves the mark, and deleting the default passes it to the oldest remaining one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.translations import clean_line
from stockhouse.commerce.models import BillingAddress
from stockhouse.errors import Conflict, InvalidParameter, NotFound

MAX_ADDRESSES_PER_USER = 50

# ISO 3166-1 alpha-2.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 (a block of codes reads better than quoted strings)
)

# USPS codes: the states, DC, the territories and the armed forces' mail regions.
US_STATE_CODES = frozenset(
    """
    AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ
    NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI UM AA AE AP
    """.split()  # noqa: SIM905 (a block of codes reads better than quoted strings)
)

UNITED_STATES = "US"

# Longest value of each free-text field (the column sizes of BillingAddress).
FIELD_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "street1": 200,
    "street2": 200,
    "city": 100,
    "province": 100,
    "postal_code": 20,
    "vat_id": 64,
    "company_id": 64,
    "company_name": 200,
    "company_department": 200,
}


@dataclass(frozen=True)
class AddressFields:
    """The fields of an address; None leaves a field as it is (or empty, for a new one)."""

    first_name: str | None = None
    last_name: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country: str | None = None
    vat_id: str | None = None
    company_id: str | None = None
    company_name: str | None = None
    company_department: str | None = None

    def given(self) -> dict[str, str]:
        """The fields that were given, by name."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in values.items() if value is not None}


def _clean_code(name: str, value: str) -> str:
    return clean_line(name, value, 10).upper()


def _validate(values: dict[str, str]) -> dict[str, str]:
    """Cleaned values; InvalidParameter naming the first bad field."""
    cleaned = {
        name: clean_line(name, value, FIELD_LIMITS[name])
        for name, value in values.items()
        if name in FIELD_LIMITS
    }
    if "country" in values:
        cleaned["country"] = _clean_code("country", values["country"])
    if "state" in values:
        cleaned["state"] = _clean_code("state", values["state"])
    return cleaned


def _check_place(country: str, state: str) -> None:
    if country not in COUNTRY_CODES:
        raise InvalidParameter("country", "country must be a two-letter ISO code like US or DE")
    if state and country != UNITED_STATES:
        raise InvalidParameter("state", "state is a U.S. state code; use province elsewhere")
    if state and state not in US_STATE_CODES:
        raise InvalidParameter("state", "state must be a U.S. state code like NY or CA")


# -- reading ----------------------------------------------------------------------------


def list_addresses(session: Session, user: User) -> Sequence[BillingAddress]:
    """The user's addresses, oldest first."""
    return session.scalars(
        select(BillingAddress).where(BillingAddress.user_id == user.id).order_by(BillingAddress.id)
    ).all()


def get_address(session: Session, user: User, address_id: int) -> BillingAddress:
    """One of the user's addresses; NotFound for anyone else's (their ids stay private)."""
    address = session.get(BillingAddress, address_id)
    if address is None or address.user_id != user.id:
        raise NotFound(f"billing address {address_id} does not exist")
    return address


def default_address(session: Session, user: User) -> BillingAddress | None:
    return session.scalar(
        select(BillingAddress).where(
            BillingAddress.user_id == user.id, BillingAddress.is_default.is_(True)
        )
    )


def resolve_address(session: Session, user: User, address_id: int | None) -> BillingAddress | None:
    """The address a checkout uses: the one named, else the default (None if there is none)."""
    if address_id is not None:
        return get_address(session, user, address_id)
    return default_address(session, user)


# -- writing ----------------------------------------------------------------------------


def _lock_user(session: Session, user: User) -> None:
    # One writer per user's address book, so that two concurrent adds cannot both become
    # the default.
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def _make_default(session: Session, user: User, address: BillingAddress) -> None:
    session.execute(
        update(BillingAddress)
        .where(BillingAddress.user_id == user.id, BillingAddress.id != address.id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    address.is_default = True


def add_address(
    session: Session, user: User, values: AddressFields, *, make_default: bool = False
) -> BillingAddress:
    """A new address (country required); the user's first address is their default."""
    _lock_user(session, user)
    count = session.scalar(
        select(func.count()).select_from(BillingAddress).where(BillingAddress.user_id == user.id)
    )
    if (count or 0) >= MAX_ADDRESSES_PER_USER:
        raise Conflict(f"a user may keep at most {MAX_ADDRESSES_PER_USER} billing addresses")
    if values.country is None:
        raise InvalidParameter("country", "a billing address needs a country")
    cleaned = _validate(values.given())
    _check_place(cleaned["country"], cleaned.get("state", ""))
    address = BillingAddress(user_id=user.id, is_default=False, **cleaned)
    session.add(address)
    session.flush()
    if make_default or not count:
        _make_default(session, user, address)
    session.flush()
    return address


def update_address(
    session: Session,
    user: User,
    address_id: int,
    values: AddressFields,
    *,
    make_default: bool = False,
) -> BillingAddress:
    """Change the given fields of one of the user's addresses (and make it the default)."""
    _lock_user(session, user)
    address = get_address(session, user, address_id)
    cleaned = _validate(values.given())
    _check_place(cleaned.get("country", address.country), cleaned.get("state", address.state))
    for name, value in cleaned.items():
        setattr(address, name, value)
    if make_default:
        _make_default(session, user, address)
    session.flush()
    return address


def set_default(session: Session, user: User, address_id: int) -> BillingAddress:
    """Make one of the user's addresses their default (the previous one stops being it)."""
    _lock_user(session, user)
    address = get_address(session, user, address_id)
    _make_default(session, user, address)
    session.flush()
    return address


def delete_address(session: Session, user: User, address_id: int) -> None:
    """Remove an address; if it was the default, the oldest remaining one becomes default."""
    _lock_user(session, user)
    address = get_address(session, user, address_id)
    was_default = address.is_default
    session.delete(address)
    session.flush()
    if was_default:
        remaining = list_addresses(session, user)
        if remaining:
            _make_default(session, user, remaining[0])
            session.flush()
