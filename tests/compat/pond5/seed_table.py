"""Seed 003, command by command, as data: whether a login is required, the parameters,
which of them are mandatory, and the error codes the document lists.

The shape tests (test_seed_shapes.py) and the hostile-input sweep (test_hostile_input.py)
both read this table, so a command or parameter the document names cannot be left out of
either. `logout` is listed by the document but not described: it takes no parameter and
needs a login (it ends one).
"""

from __future__ import annotations

from dataclasses import dataclass

ADDRESS_PARAMS = (
    "first_name",
    "last_name",
    "street1",
    "street2",
    "city",
    "state",
    "province",
    "postal_code",
    "country",
    "vat_id",
    "company_id",
    "company_name",
    "company_department",
)
# Codes every command may answer: 1 general, 2 missing/invalid arguments, 4 not logged in
# (for login-required commands), and 105, the unused number Stockhouse gives to "no such
# item" (docs/compat/pond5.md).
COMMON_CODES = frozenset({1, 2, 4, 105})


@dataclass(frozen=True)
class SeedCommand:
    """One command of the seed: login required, parameters (mandatory ones too), codes."""

    login: bool
    params: tuple[str, ...] = ()
    mandatory: tuple[str, ...] = ()
    codes: frozenset[int] = frozenset()

    @property
    def answerable_codes(self) -> frozenset[int]:
        return self.codes | COMMON_CODES


PURCHASE_PARAMS = ("override", "userdata")

SEED: dict[str, SeedCommand] = {
    "create_bin": SeedCommand(True, ("name",), ("name",)),
    "delete_bin": SeedCommand(True, ("binid",), ("binid",)),
    "download": SeedCommand(True, ("bid", "tr", "v"), ("bid", "tr", "v"), frozenset({51, 52})),
    "get_bin": SeedCommand(True, ("binid",), codes=frozenset({101})),
    "get_bin_formatted": SeedCommand(True, ("binid",), codes=frozenset({101})),
    "get_bins": SeedCommand(True),
    "get_cart": SeedCommand(True, ("artistinfo",)),
    "get_cart_formatted": SeedCommand(True, ("artistinfo",)),
    "get_clip_data": SeedCommand(False, ("itemid",), ("itemid",)),
    "get_clip_data_array": SeedCommand(False, ("itemids", "col"), ("itemids",)),
    "get_downloads_formatted": SeedCommand(True),
    "get_exchange_ratios": SeedCommand(True, codes=frozenset({3, 107})),
    "get_music_categories": SeedCommand(False),
    "get_sfx_categories": SeedCommand(False),
    "get_versions_formatted": SeedCommand(False, ("vm",), ("vm",)),
    "get_video_categories": SeedCommand(False),
    "login": SeedCommand(False, ("username", "password"), ("username", "password")),
    "logout": SeedCommand(True),
    "get_active_bin": SeedCommand(True, codes=frozenset({101})),
    "set_active_bin": SeedCommand(True, ("binid",)),
    "modify_active_bin": SeedCommand(True, ("binid", "addid", "rmid"), ("binid",)),
    "modify_active_cart": SeedCommand(True, ("addid", "rmid")),
    "get_cart_total": SeedCommand(True, ("addressid", "use_credits")),
    "promo_redeem": SeedCommand(True, ("promocode",), ("promocode",), frozenset({3, 104})),
    "purchase_using_cash": SeedCommand(
        True,
        (*PURCHASE_PARAMS, "addressid", "use_credits"),
        codes=frozenset({3, 101, 103, 106}),
    ),
    "purchase_using_credits": SeedCommand(
        True, PURCHASE_PARAMS, codes=frozenset({3, 101, 102, 103})
    ),
    "purchase_using_subscription": SeedCommand(
        True, PURCHASE_PARAMS, codes=frozenset({3, 101, 103})
    ),
    "search": SeedCommand(False, ("query", "bm", "no", "p", "sb", "col", "cat")),
    "userinfo": SeedCommand(True),
    "get_billing_addresses": SeedCommand(True),
    "set_billing_address": SeedCommand(True, ("addressid", *ADDRESS_PARAMS)),
}
