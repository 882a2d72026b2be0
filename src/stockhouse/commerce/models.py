"""Tables of commerce: licenses and prices, the double-entry ledger, license transactions,
invoices, transfers, downloads, bins, carts, credits, subscriptions, promo codes, billing
addresses and exchange rates.

Money is always an integer number of minor units (cents) plus a currency code; credits are
integers in the pseudo-currency "CRD". A balance is the sum of its account's entries;
`LedgerAccount.balance_minor` caches that sum, is updated in the same transaction as the
entries, and `stockhouse ledger check` proves the two agree.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stockhouse.db.base import Base, UTCDateTime, str_enum, utcnow

CREDITS_CURRENCY = "CRD"


class ProductType(enum.StrEnum):
    """What a license template applies to (Depositphotos "productType")."""

    IMAGE = "image"  # photos, vectors, illustrations
    VIDEO = "video"
    AUDIO = "audio"  # music and sound effects


class ExtOption(enum.IntFlag):
    """Extended options of a license (Depositphotos dp_ext_options bitmask)."""

    UNLIMITED_PRINT = 1
    MULTI_SEAT = 2
    EXTRA_LEGAL_WARRANTY = 4
    RESALE = 8
    TRANSFER_RIGHTS = 16


class AccountKind(enum.StrEnum):
    GROUP_BALANCE = "group_balance"  # an enterprise group's prepaid money
    GROUP_RECEIVABLE = "group_receivable"  # what a postpaid group owes (uninvoiced + unpaid)
    USER_CASH = "user_cash"  # a buyer's prepaid money
    USER_CREDITS = "user_credits"  # a buyer's credits (currency CRD)
    CONTRIBUTOR_EARNINGS = "contributor_earnings"
    PLATFORM_REVENUE = "platform_revenue"
    EXTERNAL = "external"  # money entering or leaving the system (payments, payouts)


class PaymentMethod(enum.StrEnum):
    BALANCE = "balance"  # group or user prepaid money
    CREDITS = "credits"
    SUBSCRIPTION = "subscription"
    POSTPAID = "postpaid"
    COMPLIMENTARY = "complimentary"


class TransactionStatus(enum.StrEnum):
    """Depositphotos getLicensedItems types."""

    PAID = "paid"
    UNINVOICED = "uninvoiced"
    INVOICED = "invoiced"


class InvoiceState(enum.StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"


class DownloadKind(enum.StrEnum):
    LICENSED = "licensed"
    COMPLIMENTARY = "complimentary"


# -- licenses and prices ----------------------------------------------------------------


class License(Base):
    """A license template: the sizes it covers and the extended options it allows."""

    __tablename__ = "license"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    product_type: Mapped[ProductType] = mapped_column(str_enum(ProductType, "product_type"))
    template_id: Mapped[int] = mapped_column(Integer, default=1)
    size_codes: Mapped[str] = mapped_column(String(200))  # comma list: s,m,l,xl or 720,1080...
    ext_options_allowed: Mapped[int] = mapped_column(Integer, default=0)  # ExtOption bits
    extended: Mapped[bool] = mapped_column(Boolean, default=False)  # needs extended_allowed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def sizes(self) -> list[str]:
        return [code for code in self.size_codes.split(",") if code]


class PriceList(Base):
    """Prices in money and credits; the default list (group None) or a group's own."""

    __tablename__ = "price_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("buyer_group.id", ondelete="CASCADE"), unique=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class Price(Base):
    """The price of a size under a license, and the surcharge of each extended option."""

    __tablename__ = "price"

    price_list_id: Mapped[int] = mapped_column(
        ForeignKey("price_list.id", ondelete="CASCADE"), primary_key=True
    )
    license_id: Mapped[int] = mapped_column(
        ForeignKey("license.id", ondelete="CASCADE"), primary_key=True
    )
    size_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    ext_option: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)  # 0: base
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    credits: Mapped[int] = mapped_column(Integer)


class RoyaltyRate(Base):
    """The share of a sale a contributor earns, by contributor level."""

    __tablename__ = "royalty_rate"

    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))


# -- the ledger -------------------------------------------------------------------------


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("kind", "user_id", "group_id", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(str_enum(AccountKind, "account_kind"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("buyer_group.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # cache of the entries' sum
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)


class LedgerTransaction(Base):
    """A set of entries that sums to zero per currency, written atomically with its cause."""

    __tablename__ = "ledger_transaction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # license, refill, promo, payout, invoice...
    memo: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_transaction.id", ondelete="RESTRICT"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_account.id", ondelete="RESTRICT"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # + credit to the account, - debit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- licensing --------------------------------------------------------------------------


class LicenseTransaction(Base):
    """One licensed use of an item by a buyer (and their group)."""

    __tablename__ = "license_transaction"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_license_transaction_group_created", "group_id", "created_at"),
        Index("ix_license_transaction_contributor_created", "contributor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="RESTRICT"), index=True
    )
    contributor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    license_id: Mapped[int] = mapped_column(ForeignKey("license.id", ondelete="RESTRICT"))
    size_code: Mapped[str] = mapped_column(String(16))
    ext_options: Mapped[int] = mapped_column(Integer, default=0)
    video_format_id: Mapped[int | None] = mapped_column(
        ForeignKey("video_format.id", ondelete="SET NULL")
    )
    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("buyer_group.id", ondelete="RESTRICT"))
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    status: Mapped[TransactionStatus] = mapped_column(
        str_enum(TransactionStatus, "transaction_status")
    )
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = mapped_column(BigInteger)  # before VAT
    vat_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credits: Mapped[int] = mapped_column(Integer, default=0)
    royalty_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transaction.id", ondelete="RESTRICT")
    )
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="SET NULL"), index=True
    )
    project: Mapped[str] = mapped_column(String(200), default="")
    client: Mapped[str] = mapped_column(String(200), default="")
    purchase_order: Mapped[str] = mapped_column(String(200), default="")
    isbn: Mapped[str] = mapped_column(String(64), default="")
    other: Mapped[str] = mapped_column(String(500), default="")
    buyer_country: Mapped[str | None] = mapped_column(String(2))
    search_query: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LicenseTransfer(Base):
    """A license moved to a third party (Depositphotos transferEnterpriseLicense)."""

    __tablename__ = "license_transfer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("license_transaction.id", ondelete="RESTRICT"), unique=True
    )
    by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    from_party: Mapped[str] = mapped_column(Text)  # JSON object: name, company, address...
    to_party: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Invoice(Base):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. ESI-2026-000001
    kind: Mapped[str] = mapped_column(String(32))  # postpaid, refill
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("buyer_group.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    state: Mapped[InvoiceState] = mapped_column(
        str_enum(InvoiceState, "invoice_state"), default=InvoiceState.UNPAID
    )
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    from_party: Mapped[str] = mapped_column(Text)  # JSON object
    to_party: Mapped[str] = mapped_column(Text)
    overrides: Mapped[str] = mapped_column(Text, default="{}")  # dp_invoice_data fields
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[InvoiceLine]] = relationship(
        cascade="all, delete-orphan", order_by="InvoiceLine.id", lazy="selectin"
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("license_transaction.id", ondelete="RESTRICT")
    )
    description: Mapped[str] = mapped_column(String(300))
    amount_minor: Mapped[int] = mapped_column(BigInteger)


# -- downloads --------------------------------------------------------------------------


class Download(Base):
    """A download granted and taken: licensed (per transaction) or complimentary."""

    __tablename__ = "download"
    __table_args__ = (Index("ix_download_group_created", "group_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DownloadKind] = mapped_column(str_enum(DownloadKind, "download_kind"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("buyer_group.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="RESTRICT"))
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("license_transaction.id", ondelete="RESTRICT"), index=True
    )
    size_code: Mapped[str] = mapped_column(String(16))
    video_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("video_version.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplimentaryAllowance(Base):
    """How many complimentary downloads a group may take per calendar month."""

    __tablename__ = "complimentary_allowance"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("buyer_group.id", ondelete="CASCADE"), primary_key=True
    )
    per_month: Mapped[int] = mapped_column(Integer)


# -- bins and carts ---------------------------------------------------------------------


class Bin(Base):
    """A user's named collection of items (a lightbox)."""

    __tablename__ = "bin"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=False)  # at most one per user
    generation: Mapped[int] = mapped_column(Integer, default=0)  # bumps on every change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[BinItem]] = relationship(
        cascade="all, delete-orphan", order_by="BinItem.added_at", lazy="selectin"
    )


class BinItem(Base):
    __tablename__ = "bin_item"

    bin_id: Mapped[int] = mapped_column(ForeignKey("bin.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CartItem(Base):
    """An item in a user's cart, with the format chosen (Pond5 "id:sub_offs")."""

    __tablename__ = "cart_item"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    sub_offset: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("license.id", ondelete="SET NULL"))
    size_code: Mapped[str | None] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- credits, subscriptions, promo codes ------------------------------------------------


class Subscription(Base):
    """A download allowance for a period (Pond5 purchase_using_subscription)."""

    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint("downloads_used <= downloads_allowed", name="within_allowance"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    plan: Mapped[str] = mapped_column(String(100))
    downloads_allowed: Mapped[int] = mapped_column(Integer)
    downloads_used: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromoCode(Base):
    __tablename__ = "promo_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PromoRedemption(Base):
    __tablename__ = "promo_redemption"

    promo_code_id: Mapped[int] = mapped_column(
        ForeignKey("promo_code.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- addresses and currencies -----------------------------------------------------------


class BillingAddress(Base):
    """Pond5 get/set_billing_address fields; one default per user."""

    __tablename__ = "billing_address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    street1: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(10), default="")  # U.S. state code
    province: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    vat_id: Mapped[str] = mapped_column(String(64), default="")
    company_id: Mapped[str] = mapped_column(String(64), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    company_department: Mapped[str] = mapped_column(String(200), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class ExchangeRate(Base):
    """Seed 003's get_exchange_ratios: local price = USD price x ratio, then rounded."""

    __tablename__ = "exchange_rate"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    ratio: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    rounding_style: Mapped[int] = mapped_column(Integer, default=1)  # 0-4
    price_modifier: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(0))
    decimal_points: Mapped[int] = mapped_column(Integer, default=2)
