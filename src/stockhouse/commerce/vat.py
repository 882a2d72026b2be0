"""VAT of a buyer: their enterprise group's rate when the group has VAT enabled, else none.

Seed 003's get_cart_total answers vatData {percentage, display, amount}, with percentage
and amount NULL when VAT does not apply; `VatRule.rate` is None in that case.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import User
from stockhouse.commerce.money import VatBreakdown, apply_vat

PERCENT = Decimal(100)


@dataclass(frozen=True)
class VatRule:
    """The VAT rate (a fraction: 0.20 for 20%) a buyer pays, or None when none applies."""

    rate: Decimal | None

    @property
    def applies(self) -> bool:
        return self.rate is not None

    @property
    def percentage(self) -> Decimal | None:
        """The rate as a percentage (20.00 for 0.20), as seed 003 shows it."""
        return None if self.rate is None else (self.rate * PERCENT).normalize()


NO_VAT = VatRule(rate=None)


def vat_rule_for(session: Session, user: User) -> VatRule:
    """The buyer's VAT: their group's vat_rate when the group has VAT enabled."""
    membership = accounts.membership_of(session, user)
    if membership is None or not membership.group.vat_enabled:
        return NO_VAT
    return VatRule(rate=Decimal(membership.group.vat_rate))


def apply_rule(rule: VatRule, net_minor: int) -> VatBreakdown:
    """Net, VAT (half up to the minor unit) and gross of an amount under a rule."""
    return apply_vat(net_minor, rule.rate or Decimal(0), enabled=rule.applies)


def vat_for(session: Session, user: User, net_minor: int) -> VatBreakdown:
    """Net, VAT and gross of an amount the buyer pays."""
    return apply_rule(vat_rule_for(session, user), net_minor)
