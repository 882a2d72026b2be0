"""Native API (admin): license templates, prices of the default and group lists, royalty rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group
from stockhouse.api.deps import AdminDep, SessionDep
from stockhouse.commerce import prices
from stockhouse.commerce.models import License, Price, ProductType
from stockhouse.commerce.money import format_amount, to_minor
from stockhouse.errors import InvalidParameter

router = APIRouter(tags=["prices"])

RATE_QUANTUM = Decimal("0.0001")


class TemplateIn(BaseModel):
    name: str = Field(max_length=100)
    product_type: ProductType
    size_codes: list[str] = Field(max_length=20)
    ext_options_allowed: int = Field(default=0, ge=0, le=prices.ALL_EXT_OPTIONS)
    extended: bool = False


class TemplatePatch(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    size_codes: list[str] | None = Field(default=None, max_length=20)
    ext_options_allowed: int | None = Field(default=None, ge=0, le=prices.ALL_EXT_OPTIONS)
    extended: bool | None = None
    active: bool | None = None


class AdminTemplateOut(BaseModel):
    id: int
    name: str
    product_type: str
    template_id: int
    size_codes: list[str]
    ext_options_allowed: int
    extended: bool
    active: bool

    @classmethod
    def of(cls, license: License) -> AdminTemplateOut:
        return cls(
            id=license.id,
            name=license.name,
            product_type=license.product_type.value,
            template_id=license.template_id,
            size_codes=license.sizes,
            ext_options_allowed=license.ext_options_allowed,
            extended=license.extended,
            active=license.active,
        )


class PriceIn(BaseModel):
    license_id: int
    size: str = Field(max_length=16)
    ext_option: int = Field(default=0, ge=0, le=prices.ALL_EXT_OPTIONS)
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]
    credits: int = Field(ge=0, le=prices.MAX_CREDITS)
    group_id: int | None = None


class PriceOut(BaseModel):
    license_id: int
    size: str
    ext_option: int
    currency: str
    amount: str
    amount_minor: int
    credits: int


class RateIn(BaseModel):
    rate: Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]


class RateOut(BaseModel):
    level: str
    rate: str


def _rate_text(rate: Decimal) -> str:
    return str(Decimal(rate).quantize(RATE_QUANTUM))


def _group(session: Session, group_id: int | None) -> Group | None:
    return None if group_id is None else accounts.get_group(session, group_id)


def _price_out(row: Price, currency: str) -> PriceOut:
    return PriceOut(
        license_id=row.license_id,
        size=row.size_code,
        ext_option=row.ext_option,
        currency=currency,
        amount=format_amount(row.amount_minor, currency),
        amount_minor=row.amount_minor,
        credits=row.credits,
    )


def _currency(session: Session, group: Group | None) -> str:
    if group is None:
        return prices.default_price_list(session).currency
    own = prices.group_price_list(session, group)
    return own.currency if own is not None else group.currency


@router.post("/license-templates/defaults", response_model=list[AdminTemplateOut])
def ensure_defaults(_: AdminDep, session: SessionDep) -> list[AdminTemplateOut]:
    """Create what is missing of the default templates, prices and royalty rates."""
    prices.ensure_default_licenses_and_prices(session)
    return [AdminTemplateOut.of(lic) for lic in prices.list_licenses(session)]


@router.get("/license-templates", response_model=list[AdminTemplateOut])
def list_templates(_: AdminDep, session: SessionDep) -> list[AdminTemplateOut]:
    return [AdminTemplateOut.of(lic) for lic in prices.list_licenses(session)]


@router.post("/license-templates", status_code=201, response_model=AdminTemplateOut)
def create_template(body: TemplateIn, _: AdminDep, session: SessionDep) -> AdminTemplateOut:
    license = prices.create_license(session, **body.model_dump())
    return AdminTemplateOut.of(license)


@router.patch("/license-templates/{license_id}", response_model=AdminTemplateOut)
def update_template(
    license_id: int, body: TemplatePatch, _: AdminDep, session: SessionDep
) -> AdminTemplateOut:
    license = prices.update_license(session, license_id, **body.model_dump(exclude_unset=True))
    return AdminTemplateOut.of(license)


@router.get("/prices", response_model=list[PriceOut])
def list_prices(_: AdminDep, session: SessionDep, group_id: int | None = None) -> list[PriceOut]:
    """The default list's rows, or a group's own rows with `group_id`."""
    group = _group(session, group_id)
    currency = _currency(session, group)
    return [_price_out(row, currency) for row in prices.list_prices(session, group)]


@router.put("/prices", response_model=PriceOut)
def set_price(body: PriceIn, _: AdminDep, session: SessionDep) -> PriceOut:
    """Set a base price (`ext_option` 0) or an option's surcharge (`size` `*` for every size)."""
    group = _group(session, body.group_id)
    currency = _currency(session, group)
    row = prices.set_price(
        session,
        body.license_id,
        body.size,
        amount_minor=to_minor(body.amount, currency),
        credits=body.credits,
        ext_option=body.ext_option,
        group=group,
    )
    return _price_out(row, currency)


@router.delete("/prices", status_code=204)
def delete_price(
    _: AdminDep,
    session: SessionDep,
    license_id: int,
    size: Annotated[str, Query(max_length=16)],
    ext_option: Annotated[int, Query(ge=0, le=prices.ALL_EXT_OPTIONS)] = 0,
    group_id: int | None = None,
) -> None:
    prices.delete_price(
        session, license_id, size, ext_option=ext_option, group=_group(session, group_id)
    )


@router.get("/royalty-rates", response_model=list[RateOut])
def list_rates(_: AdminDep, session: SessionDep) -> list[RateOut]:
    return [
        RateOut(level=row.level, rate=_rate_text(row.rate))
        for row in prices.list_royalty_rates(session)
    ]


@router.put("/royalty-rates/{level}", response_model=RateOut)
def set_rate(level: str, body: RateIn, _: AdminDep, session: SessionDep) -> RateOut:
    if len(level) > 32:
        raise InvalidParameter("level", "level must be at most 32 characters")
    row = prices.set_royalty_rate(session, level, body.rate)
    return RateOut(level=row.level, rate=_rate_text(row.rate))
