"""License templates, price lists and royalty rates: what can be bought, for how much.

A license template covers one product type (image, video, audio), a list of size codes and
a set of extended options (ExtOption bits). Prices live in price lists: the default list
(group None) applies to everyone; a group's own list overrides it row by row. A `Price` row
with `ext_option` 0 is the base price of a size; a row with one ExtOption bit is that
option's surcharge, for one size or for every size (size code `ANY_SIZE`).

A license is for everyone when the default list prices it; a license priced only in some
groups' lists is for those groups alone (how an enterprise gets a custom template).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import Group
from stockhouse.catalog.models import MediaItem, MediaKind, SizeOption
from stockhouse.commerce.models import (
    ExtOption,
    License,
    Price,
    PriceList,
    ProductType,
    RoyaltyRate,
)
from stockhouse.commerce.money import MAX_AMOUNT_MINOR
from stockhouse.errors import InvalidParameter, NotFound

ANY_SIZE = "*"  # a surcharge row that applies to every size
AUDIO_SIZE = "original"  # audio is sold as the file as uploaded
DEFAULT_CURRENCY = "USD"
DEFAULT_PRICE_LIST_NAME = "default"
DEFAULT_LEVEL = "beginner"
STANDARD_TEMPLATE_ID = 1
EXTENDED_TEMPLATE_ID = 2
ALL_EXT_OPTIONS = int(
    ExtOption.UNLIMITED_PRINT
    | ExtOption.MULTI_SEAT
    | ExtOption.EXTRA_LEGAL_WARRANTY
    | ExtOption.RESALE
    | ExtOption.TRANSFER_RIGHTS
)
SIZE_CODE_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")
MAX_SIZES_PER_LICENSE = 20
MAX_LICENSE_NAME = 100
MAX_CREDITS = 10**9
FROM_PRICE_BATCH = 1000  # items per query of from_prices

# Standard-license base prices: size code -> (USD cents, credits).
IMAGE_PRICES = {
    "s": (100, 1),
    "m": (300, 3),
    "l": (600, 6),
    "xl": (1000, 10),
    "vect": (1000, 10),
}
IMAGE_EXTENDED_PRICES = {"el0": (8000, 80)}
VIDEO_PRICES = {
    "240": (500, 5),
    "480": (1000, 10),
    "720": (2000, 20),
    "1080": (4000, 40),
    "4k": (8000, 80),
}
VIDEO_EXTENDED_PRICES = {
    code: (amount * 5, credits * 5) for code, (amount, credits) in VIDEO_PRICES.items()
}
AUDIO_PRICES = {AUDIO_SIZE: (2000, 20)}
AUDIO_EXTENDED_PRICES = {AUDIO_SIZE: (10000, 100)}
# Extended-license option surcharges (every size): option -> (USD cents, credits).
EXT_SURCHARGES = {
    ExtOption.UNLIMITED_PRINT: (2000, 20),
    ExtOption.MULTI_SEAT: (3000, 30),
    ExtOption.EXTRA_LEGAL_WARRANTY: (5000, 50),
    ExtOption.RESALE: (6000, 60),
    ExtOption.TRANSFER_RIGHTS: (4000, 40),
}
DEFAULT_ROYALTY_RATES = {
    "beginner": Decimal("0.30"),
    "bronze": Decimal("0.35"),
    "silver": Decimal("0.40"),
    "gold": Decimal("0.45"),
    "platinum": Decimal("0.50"),
}


@dataclass(frozen=True)
class DefaultTemplate:
    name: str
    product_type: ProductType
    extended: bool
    prices: dict[str, tuple[int, int]]


DEFAULT_TEMPLATES = (
    DefaultTemplate("Standard", ProductType.IMAGE, False, IMAGE_PRICES),
    DefaultTemplate("Extended", ProductType.IMAGE, True, IMAGE_EXTENDED_PRICES),
    DefaultTemplate("Standard", ProductType.VIDEO, False, VIDEO_PRICES),
    DefaultTemplate("Extended", ProductType.VIDEO, True, VIDEO_EXTENDED_PRICES),
    DefaultTemplate("Standard", ProductType.AUDIO, False, AUDIO_PRICES),
    DefaultTemplate("Extended", ProductType.AUDIO, True, AUDIO_EXTENDED_PRICES),
)


@dataclass(frozen=True)
class PriceQuote:
    """What a license of one size with some extended options costs, before VAT."""

    amount_minor: int
    credits: int
    currency: str


def product_type_of(kind: MediaKind) -> ProductType:
    """The license product type that covers an item kind (photo, vector... -> image)."""
    kind = MediaKind(kind)
    if kind.is_image:
        return ProductType.IMAGE
    if kind.is_audio:
        return ProductType.AUDIO
    return ProductType.VIDEO


def ext_bits(options: int) -> list[ExtOption]:
    """The single ExtOption flags set in a bitmask, lowest first."""
    return [flag for flag in ExtOption if options & flag]


# -- defaults ---------------------------------------------------------------------------


def default_price_list(session: Session) -> PriceList:
    """The price list for everyone, created (USD) if missing."""
    price_list = session.scalars(
        select(PriceList).where(PriceList.group_id.is_(None)).order_by(PriceList.id)
    ).first()
    if price_list is None:
        price_list = PriceList(
            name=DEFAULT_PRICE_LIST_NAME, group_id=None, currency=DEFAULT_CURRENCY
        )
        session.add(price_list)
        session.flush()
    return price_list


def group_price_list(session: Session, group: Group, *, create: bool = False) -> PriceList | None:
    """A group's own price list (in the group's currency when created), or None."""
    price_list = session.scalar(select(PriceList).where(PriceList.group_id == group.id))
    if price_list is None and create:
        price_list = PriceList(
            name=f"group {group.name}"[:100], group_id=group.id, currency=group.currency
        )
        session.add(price_list)
        session.flush()
    return price_list


def _put_price(
    session: Session,
    price_list: PriceList,
    license: License,
    size: str,
    option: int,
    amount: int,
    credits: int,
) -> None:
    key = (price_list.id, license.id, size, option)
    if session.get(Price, key) is None:
        session.add(
            Price(
                price_list_id=price_list.id,
                license_id=license.id,
                size_code=size,
                ext_option=option,
                amount_minor=amount,
                credits=credits,
            )
        )


def _ensure_template(session: Session, price_list: PriceList, template: DefaultTemplate) -> License:
    license = session.scalars(
        select(License)
        .where(
            License.name == template.name,
            License.product_type == template.product_type,
            License.extended.is_(template.extended),
        )
        .order_by(License.id)
    ).first()
    if license is None:
        license = License(
            name=template.name,
            product_type=template.product_type,
            template_id=EXTENDED_TEMPLATE_ID if template.extended else STANDARD_TEMPLATE_ID,
            size_codes=",".join(template.prices),
            ext_options_allowed=ALL_EXT_OPTIONS if template.extended else 0,
            extended=template.extended,
            active=True,
        )
        session.add(license)
        session.flush()
    for size, (amount, credits) in template.prices.items():
        _put_price(session, price_list, license, size, 0, amount, credits)
    if template.extended:
        for option, (amount, credits) in EXT_SURCHARGES.items():
            _put_price(session, price_list, license, ANY_SIZE, int(option), amount, credits)
    return license


def ensure_default_licenses_and_prices(session: Session) -> list[License]:
    """Create what is missing of the default templates, default prices and royalty rates.

    Idempotent: existing templates, prices and rates (perhaps edited by an admin) are kept.
    """
    price_list = default_price_list(session)
    licenses = [_ensure_template(session, price_list, template) for template in DEFAULT_TEMPLATES]
    for level, rate in DEFAULT_ROYALTY_RATES.items():
        if session.get(RoyaltyRate, level) is None:
            session.add(RoyaltyRate(level=level, rate=rate))
    session.flush()
    return licenses


# -- reading ----------------------------------------------------------------------------


def get_license(session: Session, license_id: int) -> License:
    license = session.get(License, license_id)
    if license is None:
        raise NotFound(f"license {license_id} does not exist")
    return license


def _priced_license_ids(session: Session, price_list_ids: Sequence[int]) -> set[int]:
    return set(
        session.scalars(
            select(Price.license_id).where(Price.price_list_id.in_(price_list_ids)).distinct()
        )
    )


def licenses_for_group(
    session: Session, group: Group | None, *, product_type: ProductType | None = None
) -> list[License]:
    """The active licenses a buyer of this group (None: no group) may buy, by id."""
    list_ids = [default_price_list(session).id]
    own = group_price_list(session, group) if group is not None else None
    if own is not None:
        list_ids.append(own.id)
    priced = _priced_license_ids(session, list_ids)
    query = select(License).where(License.active.is_(True), License.id.in_(priced))
    if product_type is not None:
        query = query.where(License.product_type == ProductType(product_type))
    return list(session.scalars(query.order_by(License.id)))


@dataclass(frozen=True)
class PriceRow:
    """One price as a buyer's group sees it: which list it comes from, and the amounts."""

    size_code: str
    ext_option: int
    amount_minor: int
    credits: int
    currency: str
    group_list: bool  # from the group's own list (else the default list)


# Every price of one license in the default list and (when :group_id is not null) the
# group's own list, with each list's currency: one query, compiled once.
_PRICE_ROWS = (
    select(
        Price.size_code,
        Price.ext_option,
        Price.amount_minor,
        Price.credits,
        PriceList.currency,
        PriceList.group_id,
    )
    .join(PriceList, PriceList.id == Price.price_list_id)
    .where(
        Price.license_id == bindparam("license_id"),
        or_(PriceList.group_id.is_(None), PriceList.group_id == bindparam("group_id")),
    )
)


@dataclass(frozen=True)
class PriceBook:
    """Every price row of one license in the price lists a buyer's group sees.

    Answers whether the license is offered to the group at all (its group scope) and what
    a size with options costs. The group's rows come first; default rows in another
    currency than the group's list are not mixed in.
    """

    license_id: int
    rows: dict[tuple[str, int], PriceRow]  # (size, option) -> the most specific row

    @property
    def offered(self) -> bool:
        """Whether the default list or the group's list prices this license at all."""
        return bool(self.rows)

    def _row(self, sizes: Sequence[str], option: int) -> PriceRow | None:
        for size in sizes:
            row = self.rows.get((size, option))
            if row is not None:
                return row
        return None

    def quote(self, size_code: str, ext_options: int) -> PriceQuote:
        """The price of a size with extended options; InvalidParameter when unpriced."""
        base = self._row([size_code], 0)
        if base is None:
            raise InvalidParameter(
                "size", f"license {self.license_id} has no price for size {size_code!r}"
            )
        amount, credits = base.amount_minor, base.credits
        for flag in ext_bits(ext_options):
            surcharge = self._row([size_code, ANY_SIZE], int(flag))
            if surcharge is None:
                raise InvalidParameter("ext_options", f"extended option {flag.name} has no price")
            amount += surcharge.amount_minor
            credits += surcharge.credits
        return PriceQuote(amount_minor=amount, credits=credits, currency=base.currency)


def price_book(session: Session, license: License, group: Group | None) -> PriceBook:
    """The license's prices as the group (None: no group) sees them, in one query."""
    found = [
        PriceRow(size, option, amount, credits, currency, list_group is not None)
        for size, option, amount, credits, currency, list_group in session.execute(
            _PRICE_ROWS,
            {"license_id": license.id, "group_id": group.id if group is not None else None},
        )
    ]
    own_currency = next((row.currency for row in found if row.group_list), None)
    rows: dict[tuple[str, int], PriceRow] = {}
    for row in sorted(found, key=lambda r: not r.group_list):  # the group's rows first
        if own_currency is not None and row.currency != own_currency:
            continue  # a list in another currency is not mixed in
        rows.setdefault((row.size_code, row.ext_option), row)
    return PriceBook(license_id=license.id, rows=rows)


def license_available_to(session: Session, license: License, group: Group | None) -> bool:
    """Whether the license is in the buyer's scope: active and priced by the default or the
    group's list."""
    return license.active and price_book(session, license, group).offered


def price_for(
    session: Session, license: License, size_code: str, ext_options: int, group: Group | None
) -> PriceQuote:
    """The price of a size under a license with extended options, for a buyer's group.

    The group's list overrides the default row by row; each set ExtOption bit adds its
    surcharge (a row for this size, else for every size). InvalidParameter when the size
    or an option has no price.
    """
    return price_book(session, license, group).quote(size_code, ext_options)


def licensed_sizes(size_codes: Sequence[str], license: License) -> list[str]:
    """Of an item's size codes (smallest first), those the license covers, in that order."""
    codes = [code for code in size_codes if code in license.sizes]
    if not codes and license.product_type == ProductType.AUDIO and AUDIO_SIZE in license.sizes:
        codes = [AUDIO_SIZE]  # audio sells the file as uploaded
    return codes


def from_prices(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    """Each item's "from" price, what search sorts by: the lowest base price (minor units)
    in the default price list among the active standard licenses covering its kind and
    sizes.

    Batched: one query for the prices, one per FROM_PRICE_BATCH items. Items that are
    unknown or not for sale (no priced size) are left out.
    """
    ids = sorted(set(item_ids))
    list_id = session.scalar(
        select(PriceList.id).where(PriceList.group_id.is_(None)).order_by(PriceList.id).limit(1)
    )
    if not ids or list_id is None:
        return {}
    books: dict[int, tuple[License, dict[str, int]]] = {}
    for license, size, amount in session.execute(
        select(License, Price.size_code, Price.amount_minor)
        .join(Price, Price.license_id == License.id)
        .where(
            Price.price_list_id == list_id,
            Price.ext_option == 0,
            License.active.is_(True),
            License.extended.is_(False),
        )
        .order_by(License.id)
    ):
        books.setdefault(license.id, (license, {}))[1][size] = amount
    items: dict[int, tuple[ProductType, list[str]]] = {}
    for start in range(0, len(ids), FROM_PRICE_BATCH):
        for item_id, kind, code in session.execute(
            select(MediaItem.id, MediaItem.kind, SizeOption.code)
            .outerjoin(SizeOption, SizeOption.item_id == MediaItem.id)
            .where(MediaItem.id.in_(ids[start : start + FROM_PRICE_BATCH]))
            .order_by(MediaItem.id, SizeOption.position)
        ):
            sizes = items.setdefault(item_id, (product_type_of(kind), []))[1]
            if code is not None:
                sizes.append(code)
    found: dict[int, int] = {}
    for item_id, (product_type, sizes) in items.items():
        amounts = [
            by_size[size]
            for license, by_size in books.values()
            if license.product_type == product_type
            for size in licensed_sizes(sizes, license)
            if size in by_size
        ]
        if amounts:
            found[item_id] = min(amounts)
    return found


def royalty_rate(session: Session, level: str) -> Decimal:
    """The share of a sale a contributor of this level earns (the beginner rate if unknown)."""
    row = session.get(RoyaltyRate, level) or session.get(RoyaltyRate, DEFAULT_LEVEL)
    if row is not None:
        return Decimal(row.rate)
    return DEFAULT_ROYALTY_RATES.get(level, DEFAULT_ROYALTY_RATES[DEFAULT_LEVEL])


def list_prices(session: Session, group: Group | None = None) -> list[Price]:
    """The rows of the default list (group None) or of a group's own list."""
    price_list = default_price_list(session) if group is None else group_price_list(session, group)
    if price_list is None:
        return []
    return list(
        session.scalars(
            select(Price)
            .where(Price.price_list_id == price_list.id)
            .order_by(Price.license_id, Price.size_code, Price.ext_option)
        )
    )


def list_licenses(session: Session, *, include_inactive: bool = True) -> list[License]:
    query = select(License).order_by(License.id)
    if not include_inactive:
        query = query.where(License.active.is_(True))
    return list(session.scalars(query))


# -- administration ---------------------------------------------------------------------


def _validate_sizes(size_codes: Iterable[str]) -> str:
    codes = [code.strip().lower() for code in size_codes if code.strip()]
    if not codes or len(codes) > MAX_SIZES_PER_LICENSE:
        raise InvalidParameter("size_codes", f"a license covers 1-{MAX_SIZES_PER_LICENSE} sizes")
    for code in codes:
        if not SIZE_CODE_PATTERN.fullmatch(code):
            raise InvalidParameter("size_codes", f"size code {code!r} must be 1-16 letters/digits")
    if len(set(codes)) != len(codes):
        raise InvalidParameter("size_codes", "size codes repeat")
    return ",".join(codes)


def _validate_ext_options(options: int, name: str = "ext_options_allowed") -> int:
    if (
        isinstance(options, bool)
        or not isinstance(options, int)
        or not 0 <= options <= ALL_EXT_OPTIONS
    ):
        raise InvalidParameter(name, f"extended options must be a bitmask within {ALL_EXT_OPTIONS}")
    return options


def _validate_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_LICENSE_NAME:
        raise InvalidParameter("name", f"license name must be 1-{MAX_LICENSE_NAME} characters")
    return name


def create_license(
    session: Session,
    *,
    name: str,
    product_type: ProductType | str,
    size_codes: Iterable[str],
    ext_options_allowed: int = 0,
    extended: bool = False,
    template_id: int | None = None,
) -> License:
    """A new active license template (price it with `set_price` to make it buyable)."""
    try:
        kind = ProductType(product_type)
    except ValueError as exc:
        raise InvalidParameter(
            "product_type", "product type must be image, video or audio"
        ) from exc
    license = License(
        name=_validate_name(name),
        product_type=kind,
        template_id=template_id or (EXTENDED_TEMPLATE_ID if extended else STANDARD_TEMPLATE_ID),
        size_codes=_validate_sizes(size_codes),
        ext_options_allowed=_validate_ext_options(ext_options_allowed),
        extended=bool(extended),
        active=True,
    )
    session.add(license)
    session.flush()
    return license


def update_license(
    session: Session,
    license_id: int,
    *,
    name: str | None = None,
    size_codes: Iterable[str] | None = None,
    ext_options_allowed: int | None = None,
    extended: bool | None = None,
    active: bool | None = None,
) -> License:
    """Change a template; past license transactions keep what they bought."""
    license = get_license(session, license_id)
    if name is not None:
        license.name = _validate_name(name)
    if size_codes is not None:
        license.size_codes = _validate_sizes(size_codes)
    if ext_options_allowed is not None:
        license.ext_options_allowed = _validate_ext_options(ext_options_allowed)
    if extended is not None:
        license.extended = bool(extended)
    if active is not None:
        license.active = bool(active)
    session.flush()
    return license


def _validate_amounts(amount_minor: int, credits: int) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidParameter("amount", "amount must be an integer of minor units")
    if not 0 <= amount_minor <= MAX_AMOUNT_MINOR:
        raise InvalidParameter("amount", "amount must be zero or positive")
    if isinstance(credits, bool) or not isinstance(credits, int) or not 0 <= credits <= MAX_CREDITS:
        raise InvalidParameter("credits", f"credits must be an integer 0-{MAX_CREDITS}")


def set_price(
    session: Session,
    license_id: int,
    size_code: str,
    *,
    amount_minor: int,
    credits: int,
    ext_option: int = 0,
    group: Group | None = None,
) -> Price:
    """Set a base price (ext_option 0) or one option's surcharge, in the default or a group's list.

    The size must be one the license covers (or ANY_SIZE for a surcharge); a surcharge's
    option must be a single ExtOption bit the license allows.
    """
    license = get_license(session, license_id)
    _validate_amounts(amount_minor, credits)
    if ext_option == 0 and size_code not in license.sizes:
        raise InvalidParameter("size", f"license {license.id} does not cover size {size_code!r}")
    if ext_option != 0:
        if ext_option not in {int(flag) for flag in ExtOption}:
            raise InvalidParameter("ext_option", "a surcharge is for exactly one extended option")
        if not license.ext_options_allowed & ext_option:
            raise InvalidParameter("ext_option", f"license {license.id} does not allow that option")
        if size_code != ANY_SIZE and size_code not in license.sizes:
            raise InvalidParameter(
                "size", f"license {license.id} does not cover size {size_code!r}"
            )
    price_list = (
        default_price_list(session)
        if group is None
        else group_price_list(session, group, create=True)
    )
    assert price_list is not None
    row = session.get(Price, (price_list.id, license.id, size_code, ext_option))
    if row is None:
        row = Price(
            price_list_id=price_list.id,
            license_id=license.id,
            size_code=size_code,
            ext_option=ext_option,
            amount_minor=amount_minor,
            credits=credits,
        )
        session.add(row)
    else:
        row.amount_minor, row.credits = amount_minor, credits
    session.flush()
    return row


def delete_price(
    session: Session,
    license_id: int,
    size_code: str,
    *,
    ext_option: int = 0,
    group: Group | None = None,
) -> None:
    """Remove a price row (a group row removed falls back to the default price)."""
    price_list = default_price_list(session) if group is None else group_price_list(session, group)
    row = (
        None
        if price_list is None
        else session.get(Price, (price_list.id, license_id, size_code, ext_option))
    )
    if row is None:
        raise NotFound("no such price")
    session.delete(row)
    session.flush()


def list_royalty_rates(session: Session) -> list[RoyaltyRate]:
    return list(session.scalars(select(RoyaltyRate).order_by(RoyaltyRate.rate, RoyaltyRate.level)))


def set_royalty_rate(session: Session, level: str, rate: Decimal) -> RoyaltyRate:
    """Set the share contributors of a level earn (0-1)."""
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", level):
        raise InvalidParameter("level", "level must be 1-32 lowercase letters, digits, _ or -")
    rate = Decimal(rate)
    if not Decimal(0) <= rate <= Decimal(1):
        raise InvalidParameter("rate", "royalty rate must be between 0 and 1")
    row = session.get(RoyaltyRate, level)
    if row is None:
        row = RoyaltyRate(level=level, rate=rate)
        session.add(row)
    else:
        row.rate = rate
    session.flush()
    return row
