"""Native API: the caller's billing addresses (seed 003's fields), one of them the default."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from stockhouse.api.deps import PrincipalDep, SessionDep
from stockhouse.commerce import billing
from stockhouse.commerce.billing import AddressFields
from stockhouse.commerce.models import BillingAddress

router = APIRouter(tags=["billing"])

TEXT_LIMIT = 300  # schema bound; the service enforces each field's own limit


class AddressIn(BaseModel):
    first_name: str | None = Field(default=None, max_length=TEXT_LIMIT)
    last_name: str | None = Field(default=None, max_length=TEXT_LIMIT)
    street1: str | None = Field(default=None, max_length=TEXT_LIMIT)
    street2: str | None = Field(default=None, max_length=TEXT_LIMIT)
    city: str | None = Field(default=None, max_length=TEXT_LIMIT)
    state: str | None = Field(default=None, max_length=TEXT_LIMIT)
    province: str | None = Field(default=None, max_length=TEXT_LIMIT)
    postal_code: str | None = Field(default=None, max_length=TEXT_LIMIT)
    country: str | None = Field(default=None, max_length=TEXT_LIMIT)
    vat_id: str | None = Field(default=None, max_length=TEXT_LIMIT)
    company_id: str | None = Field(default=None, max_length=TEXT_LIMIT)
    company_name: str | None = Field(default=None, max_length=TEXT_LIMIT)
    company_department: str | None = Field(default=None, max_length=TEXT_LIMIT)
    is_default: bool = False

    def fields(self) -> AddressFields:
        return AddressFields(**self.model_dump(exclude={"is_default"}))


class AddressOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    street1: str
    street2: str
    city: str
    state: str
    province: str
    postal_code: str
    country: str
    vat_id: str
    company_id: str
    company_name: str
    company_department: str
    is_default: bool


def _address_out(address: BillingAddress) -> AddressOut:
    return AddressOut.model_validate(address, from_attributes=True)


@router.get("/billing-addresses", response_model=list[AddressOut])
def list_addresses(principal: PrincipalDep, session: SessionDep) -> list[AddressOut]:
    return [_address_out(a) for a in billing.list_addresses(session, principal.user)]


@router.post("/billing-addresses", status_code=201, response_model=AddressOut)
def add_address(body: AddressIn, principal: PrincipalDep, session: SessionDep) -> AddressOut:
    """Add an address (country required); the first one, or one sent with is_default, is
    the default."""
    address = billing.add_address(
        session, principal.user, body.fields(), make_default=body.is_default
    )
    return _address_out(address)


@router.get("/billing-addresses/{address_id}", response_model=AddressOut)
def get_address(address_id: int, principal: PrincipalDep, session: SessionDep) -> AddressOut:
    return _address_out(billing.get_address(session, principal.user, address_id))


@router.patch("/billing-addresses/{address_id}", response_model=AddressOut)
def update_address(
    address_id: int, body: AddressIn, principal: PrincipalDep, session: SessionDep
) -> AddressOut:
    """Change the fields sent; `is_default: true` makes it the default."""
    address = billing.update_address(
        session, principal.user, address_id, body.fields(), make_default=body.is_default
    )
    return _address_out(address)


@router.delete("/billing-addresses/{address_id}", status_code=204)
def delete_address(address_id: int, principal: PrincipalDep, session: SessionDep) -> None:
    billing.delete_address(session, principal.user, address_id)
