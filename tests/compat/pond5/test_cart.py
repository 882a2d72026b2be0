"""Pond5 cart commands: get_cart, get_cart_formatted, modify_active_cart, get_cart_total,
promo_redeem, get_exchange_ratios."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.commerce import credits, currency, promo
from stockhouse.runtime import Runtime
from tests.commerce.factories import buy
from tests.compat.pond5.conftest import BUYER_CREDITS, Pond5World, one, p5


def add(client: TestClient, world: Pond5World, creds: dict[str, str], refs: str) -> dict[str, Any]:
    slot: dict[str, Any] = one(client, world, "modify_active_cart", addid=refs, **creds)
    return slot


def test_modify_active_cart_adds_ids_and_formats(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    changed = add(client, world, creds, f"{world.video}:0,{world.video}:1,{world.music}")
    assert changed == {"nbr_added": 3, "nbr_removed": 0, "bought_before": [], "ownclips": []}
    cart = one(client, world, "get_cart_formatted", **creds)
    assert [(i["id"], i["so"]) for i in cart["items"]] == [
        (world.video, 0),
        (world.video, 1),
        (world.music, 0),
    ]


def test_modify_active_cart_removes_one_format_or_every_format(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    add(client, world, creds, f"{world.video}:0,{world.video}:1,{world.music}")
    one_format = one(client, world, "modify_active_cart", rmid=f"{world.video}:1", **creds)
    every = one(client, world, "modify_active_cart", rmid=f"{world.video},{world.music}", **creds)
    assert one_format == {"nbr_added": 0, "nbr_removed": 1}
    assert every == {"nbr_added": 0, "nbr_removed": 2}
    assert one(client, world, "get_cart", **creds)["cart"] == ""


def test_modify_active_cart_reports_bought_before_and_own_clips(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    buy(runtime, world.buyer, world.music)
    changed = add(client, world, creds, f"{world.music},{world.video}")
    assert changed["bought_before"] == [world.music]
    assert changed["ownclips"] == []


def test_modify_active_cart_refusals_change_nothing(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    unknown = add(client, world, creds, f"{world.video},99999")
    bad_format = add(client, world, creds, f"{world.video}:7")
    garbage = add(client, world, creds, "12;DROP")
    assert (unknown["code"], bad_format["code"], garbage["code"]) == (105, 1, 1)
    assert one(client, world, "get_cart_formatted", **creds)["items"] == []


def test_get_cart_answers_colon_separated_lines(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    add(client, world, creds, f"{world.video}:1,{world.sfx}")
    slot = one(client, world, "get_cart", **creds)
    assert slot == {
        "cart": (
            f"{world.video}:0:20:1:1280:720:3:1.25:1:Happy in the snow\n"
            f"{world.sfx}:0:20:4:16:9:101:1.77778:0:door slam"
        ),
        "icon_base": "http://testserver/pond5/media/icons/",
    }


def test_artistinfo_adds_the_artist_name(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    add(client, world, creds, f"{world.video}:1")
    lines = one(client, world, "get_cart", artistinfo="1", **creds)["cart"]
    formatted = one(client, world, "get_cart_formatted", artistinfo=1, **creds)
    assert lines.split(":")[-1] == "carla"
    assert formatted["items"][0]["artistname"] == "carla"


def test_get_cart_formatted_has_every_documented_field(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    add(client, world, creds, f"{world.plain_video}")
    slot = one(client, world, "get_cart_formatted", **creds)
    assert slot == {
        "items": [
            {
                "id": world.plain_video,
                "vs": 4,
                "ox": 1920,
                "oy": 1080,
                "ar": 6,
                "aq": 1.77778,
                "n": "City at night",
                "pr": "40",
                "so": 0,
            }
        ],
        "icon_base": "http://testserver/pond5/media/icons/",
        "flv_base": "http://testserver/pond5/media/flv/",
        "flv_base_encr": "http://testserver/pond5/media/flv/",
    }


def test_get_cart_total_without_credits(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    add(client, world, creds, f"{world.video}:1,{world.plain_video}")
    total = one(client, world, "get_cart_total", **creds)
    assert total == {
        "subtotals": {
            "beforeDiscounts": "60",
            "afterDiscounts": "60",
            "beforeVat": "60",
            "afterVat": "60",
            "final": "60",
        },
        "discounts": {"discountAmount": "0", "discountPercentage": 0.0},
        "creditsData": {
            "usedCredits": 0,
            "usedSum": "0",
            "availableSum": BUYER_CREDITS,
            "remainingSum": BUYER_CREDITS,
        },
        "vatData": {"percentage": None, "display": False, "amount": None},
    }


def test_get_cart_total_using_credits(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    add(client, world, creds, f"{world.video}:1,{world.plain_video}")
    total = one(client, world, "get_cart_total", use_credits="1", **creds)
    assert total["creditsData"] == {
        "usedCredits": 60,
        "usedSum": "60",
        "availableSum": BUYER_CREDITS,
        "remainingSum": BUYER_CREDITS - 60,
    }
    assert total["subtotals"]["final"] == "0"


def test_get_cart_total_shows_vat_of_a_group_with_vat(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    from tests.compat.pond5.conftest import direct_login

    pat = direct_login(runtime, world, world.market.postpaid_admin)
    add(client, world, pat, f"{world.video}:1")
    total = one(client, world, "get_cart_total", **pat)
    assert total["vatData"] == {"percentage": 19.0, "display": True, "amount": "3.80"}
    assert total["subtotals"]["afterVat"] == total["subtotals"]["final"] == "23.80"


def test_get_cart_total_checks_the_addressid(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    address = one(client, world, "set_billing_address", country="US", **creds)["addressid"]
    assert "subtotals" in one(client, world, "get_cart_total", addressid=address, **creds)
    assert one(client, world, "get_cart_total", addressid=address + 1, **creds)["code"] == 2


def test_promo_redeem_adds_the_sum_to_the_buyers_cash(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    with runtime.db.session() as session:
        promo.create_promo_code(session, code="SPRING-25", amount_minor=2500)
        cash_before = credits.cash_balance(session, accounts.get_user(session, world.buyer), "USD")
    answer = p5(
        client,
        world,
        {"command": "promo_redeem", "promocode": "spring-25", **creds},
        {"command": "promo_redeem", "promocode": "SPRING-25", **creds},
        {"command": "promo_redeem", "promocode": "NOPE-NOPE", **creds},
        {"command": "promo_redeem", **creds},
    )
    redeemed, again, unknown, missing = answer["commands"]
    assert redeemed == {"sum": "25", "currency": "USD"}
    assert (again["code"], unknown["code"], missing["code"]) == (104, 104, 2)
    with runtime.db.read_session() as session:
        cash = credits.cash_balance(session, accounts.get_user(session, world.buyer), "USD")
    assert cash == cash_before + 2500


def test_get_exchange_ratios_without_currencies_is_107(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    assert one(client, world, "get_exchange_ratios", **creds) == {
        "e": True,
        "code": 107,
        "msg": "There are no available currencies",
    }


def test_get_exchange_ratios_answers_each_currency(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    with runtime.db.session() as session:
        currency.set_exchange_rate(
            session, "EUR", ratio=Decimal("0.92"), rounding_style=2, price_modifier="-0.01"
        )
        currency.set_exchange_rate(session, "JPY", ratio=150, rounding_style=4, decimal_points=0)
    assert one(client, world, "get_exchange_ratios", **creds) == {
        "EUR": {
            "exchange_ratio": 0.92,
            "rounding_style": 2,
            "price_modifier": -0.01,
            "decimal_points": 2,
        },
        "JPY": {
            "exchange_ratio": 150.0,
            "rounding_style": 4,
            "price_modifier": 0.0,
            "decimal_points": 0,
        },
    }
