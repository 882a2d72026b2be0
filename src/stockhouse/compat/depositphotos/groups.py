"""Depositphotos group commands: getUserEnterpriseGroup and getEnterpriseUserData.

Money comes from the commerce ledger, never from a stored balance: `money` is the group's
prepaid money (its GROUP_BALANCE account) and `balance` that money less what a postpaid
group owes (GROUP_RECEIVABLE: licensed and not yet paid), so a postpaid group's balance is
zero or negative. `profileId` is the group's id (one billing profile per group).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupMember, GroupRole, PaymentMode, User
from stockhouse.commerce import ledger
from stockhouse.commerce.models import AccountKind
from stockhouse.commerce.money import to_decimal
from stockhouse.compat.depositphotos import wire
from stockhouse.errors import NotFound

PERCENT = Decimal(100)


def caller_membership(session: Session, call: wire.Call) -> GroupMember:
    """The session user's group membership; an error for a user outside any group."""
    member = accounts.membership_of(session, accounts.get_user(session, call.require_user()))
    if member is None:
        raise wire.not_enterprise_member()
    return member


def _major(amount_minor: int, currency: str) -> float:
    return float(to_decimal(amount_minor, currency))


def _vat_rate(rate: Decimal) -> str:
    """0.055 -> "5.5", 0.19 -> "19" (the document shows the rate in percent, as text)."""
    return f"{(Decimal(rate) * PERCENT).normalize():f}"


def group_fields(session: Session, group: Group) -> dict[str, Any]:
    prepaid = ledger.balance_of(
        session, AccountKind.GROUP_BALANCE, group_id=group.id, currency=group.currency
    )
    owed = ledger.balance_of(
        session, AccountKind.GROUP_RECEIVABLE, group_id=group.id, currency=group.currency
    )
    return {
        "groupId": group.id,
        "money": _major(prepaid, group.currency),
        "profileId": group.id,
        "isPostpayment": group.payment_mode == PaymentMode.POSTPAID,
        "balance": _major(prepaid - abs(owed), group.currency),
        "vatNumber": group.vat_number,
        "vatRate": _vat_rate(group.vat_rate),
        "vatEnabled": group.vat_enabled,
    }


@wire.command("getUserEnterpriseGroup")
def get_user_enterprise_group(call: wire.Call) -> dict[str, Any]:
    """The caller's group: payment mode, money, balance and VAT settings."""
    with call.runtime.db.read_session() as session:
        member = caller_membership(session, call)
        fields = group_fields(session, member.group)
        # The document names the object `group`, the official SDK reads `data`: send both.
        return {"group": fields, "data": fields}


def user_fields(user: User, group_id: int) -> dict[str, Any]:
    """A member's account data in the document's field names ("" where Stockhouse keeps
    no such field: city, address, phone, state, zip, occupation, avatars)."""
    return {
        "username": user.username,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "city": "",
        "avatarBig": "",
        "avatarSmall": "",
        "occupation": "",
        "avatar": "",
        "userId": str(user.id),
        "address": "",
        "email": user.email or "",
        "phone": "",
        "state": "",
        "zip": "",
        "registered": str(int(user.created_at.timestamp())),
        "enterpriseLite": {"groupId": group_id},
        "country": user.country or "",
        "businessName": user.business_name,
        "timezone": user.timezone,
        "website": user.website,
        "industry": user.industry,
        "biography": user.biography,
        "vatNumber": None,
    }


@wire.command("getEnterpriseUserData")
def get_enterprise_user_data(call: wire.Call) -> dict[str, Any]:
    """The caller's own data, or (for a group admin) a member of the same group's."""
    wanted = call.params.integer("dp_user_id", minimum=1)
    with call.runtime.db.read_session() as session:
        member = caller_membership(session, call)
        if wanted is None or wanted == member.user_id:
            return {"data": user_fields(member.user, member.group_id)}
        if member.role != GroupRole.ADMIN:
            raise wire.access_denied("Only a group administrator may read other users' data")
        try:
            other = accounts.membership_of(session, accounts.get_user(session, wanted))
        except NotFound:
            other = None
        if other is None or other.group_id != member.group_id:
            raise wire.access_denied("This user is not a member of your group")
        return {"data": user_fields(other.user, other.group_id)}
