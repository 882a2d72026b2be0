"""Native API: balances, refills (admin) and the ledger check (admin)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.api.deps import AdminDep, PrincipalDep, SessionDep
from stockhouse.commerce import ledger
from stockhouse.commerce.models import CREDITS_CURRENCY, AccountKind, LedgerAccount
from stockhouse.commerce.money import format_amount, to_minor, validate_currency
from stockhouse.errors import InvalidParameter

router = APIRouter(tags=["balance"])


class AmountOut(BaseModel):
    currency: str
    amount: str
    amount_minor: int


class GroupBalanceOut(BaseModel):
    id: int
    name: str
    payment_mode: str
    role: str
    balances: list[AmountOut]  # prepaid money
    receivable: list[AmountOut]  # what a postpaid group owes (negative)


class BalanceOut(BaseModel):
    user_id: int
    cash: list[AmountOut]
    credits: int
    group: GroupBalanceOut | None


class RefillIn(BaseModel):
    group_id: int | None = None
    user_id: int | None = None
    amount: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
    currency: str = Field(default="USD", min_length=3, max_length=3)
    memo: str = Field(default="", max_length=300)


class RefillOut(BaseModel):
    ledger_transaction_id: int
    account_id: int
    balance: AmountOut


class CheckOut(BaseModel):
    ok: bool
    accounts: int
    transactions: int
    entries: int
    problems: list[str]


def _amount(minor: int, currency: str) -> AmountOut:
    return AmountOut(currency=currency, amount=format_amount(minor, currency), amount_minor=minor)


def _balances(session: Session, kind: AccountKind, **owner: int) -> list[AmountOut]:
    column = LedgerAccount.group_id if "group_id" in owner else LedgerAccount.user_id
    rows = session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.kind == kind, column == next(iter(owner.values())))
        .order_by(LedgerAccount.currency)
    )
    return [_amount(row.balance_minor, row.currency) for row in rows]


@router.get("/balance", response_model=BalanceOut)
def get_balance(principal: PrincipalDep, session: SessionDep) -> BalanceOut:
    """The caller's cash and credits, and their group's balance or receivable."""
    user = principal.user
    membership = accounts.membership_of(session, user)
    group_out = None
    if membership is not None:
        group = membership.group
        group_out = GroupBalanceOut(
            id=group.id,
            name=group.name,
            payment_mode=group.payment_mode.value,
            role=membership.role.value,
            balances=_balances(session, AccountKind.GROUP_BALANCE, group_id=group.id),
            receivable=_balances(session, AccountKind.GROUP_RECEIVABLE, group_id=group.id),
        )
    credits = ledger.balance_of(
        session, AccountKind.USER_CREDITS, user_id=user.id, currency=CREDITS_CURRENCY
    )
    return BalanceOut(
        user_id=user.id,
        cash=_balances(session, AccountKind.USER_CASH, user_id=user.id),
        credits=credits,
        group=group_out,
    )


@router.post("/balance/refills", status_code=201, response_model=RefillOut)
def refill(body: RefillIn, _: AdminDep, session: SessionDep) -> RefillOut:
    """Record money received for a group's balance or a user's cash (EXTERNAL -> account)."""
    if (body.group_id is None) == (body.user_id is None):
        raise InvalidParameter("group_id", "name exactly one of group_id and user_id")
    currency = validate_currency(body.currency)
    if currency == CREDITS_CURRENCY:
        raise InvalidParameter("currency", "credits are added through the credits API")
    if body.group_id is not None:
        group = accounts.get_group(session, body.group_id)
        target = ledger.account_for(
            session, AccountKind.GROUP_BALANCE, group_id=group.id, currency=currency
        )
    else:
        assert body.user_id is not None
        user = accounts.get_user(session, body.user_id)
        target = ledger.account_for(
            session, AccountKind.USER_CASH, user_id=user.id, currency=currency
        )
    posted = ledger.refill(session, target, to_minor(body.amount, currency), body.memo)
    return RefillOut(
        ledger_transaction_id=posted.id,
        account_id=target.id,
        balance=_amount(ledger.balance(session, target), currency),
    )


@router.get("/ledger/check", response_model=CheckOut)
def check_ledger(_: AdminDep, session: SessionDep) -> CheckOut:
    """Prove the ledger: zero sums, cached balances, no overdraft."""
    report = ledger.check(session)
    return CheckOut(
        ok=report.ok,
        accounts=report.accounts,
        transactions=report.transactions,
        entries=report.entries,
        problems=report.lines()[1:-1],
    )
