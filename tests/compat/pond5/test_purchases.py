"""Pond5 purchase and download commands: purchase_using_credits, purchase_using_cash,
purchase_using_subscription, download, get_downloads_formatted."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.commerce import credits, subscriptions
from stockhouse.runtime import Runtime
from tests.commerce.factories import buy
from tests.compat.pond5.conftest import (
    BUYER_CREDITS,
    Pond5World,
    direct_login,
    login,
    one,
    p5,
)

VIDEO_CREDITS = 20  # the standard video license at 720, as the default price list has it
PAL_SMALL, PAL_WIDE = b"video 720x576 " * 50, b"video 724x576 " * 50


def credit_balance(runtime: Runtime, user_id: int) -> int:
    with runtime.db.read_session() as session:
        return credits.credit_balance(session, accounts.get_user(session, user_id))


def cash_balance(runtime: Runtime, user_id: int) -> int:
    with runtime.db.read_session() as session:
        return credits.cash_balance(session, accounts.get_user(session, user_id), "USD")


def cart(client: TestClient, world: Pond5World, creds: dict[str, str], refs: str) -> None:
    changed = one(client, world, "modify_active_cart", addid=refs, **creds)
    assert changed["nbr_added"] == len(refs.split(",")), changed


def downloads(client: TestClient, world: Pond5World, creds: dict[str, str]) -> list[Any]:
    items: list[Any] = one(client, world, "get_downloads_formatted", **creds)["items"]
    return items


def test_buying_with_credits_ends_with_the_bought_versions_bytes(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    creds = login(client, world)
    answer = p5(
        client,
        world,
        {"command": "modify_active_cart", "addid": f"{world.video}:0", **creds},
        {"command": "get_cart_total", "use_credits": 1, **creds},
        {"command": "purchase_using_credits", **creds},
        {"command": "get_downloads_formatted", **creds},
        {"command": "userinfo", **creds},
    )
    added, total, purchase, listing, info = answer["commands"]
    assert added["nbr_added"] == 1
    assert total["creditsData"]["usedCredits"] == VIDEO_CREDITS
    assert purchase == {"completed": 1}
    [container] = listing["items"]
    small, wide = container["versions"]
    assert [(v["ox"], v["oy"]) for v in (small, wide)] == [(720, 576), (724, 576)]
    assert container["bid"] == small["v"] and container["sub_offs"] == "0"
    link = one(client, world, "download", bid=container["bid"], tr=wide["tr"], v=wide["v"], **creds)
    assert (link["bid"], link["tr"], link["v"]) == (container["bid"], wide["tr"], wide["v"])
    fetched = client.get(link["url"])
    assert fetched.status_code == 200
    assert fetched.content == PAL_WIDE
    assert info["credit"] == BUYER_CREDITS - VIDEO_CREDITS
    assert credit_balance(runtime, world.buyer) == BUYER_CREDITS - VIDEO_CREDITS


def test_get_downloads_formatted_lists_each_version_with_every_field(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    cart(client, world, creds, f"{world.video}:1")
    one(client, world, "purchase_using_credits", **creds)
    slot = one(client, world, "get_downloads_formatted", **creds)
    [container] = slot["items"]
    [version] = container["versions"]
    assert slot["icon_base"] == "http://testserver/pond5/media/icons/"
    assert slot["flv_base"] == slot["flv_base_encr"] == "http://testserver/pond5/media/flv/"
    assert container == {
        "bid": str(world.market.ntsc_version),
        "sub_offs": "1",
        "versions": [
            {
                "vm": world.video,
                "vs": 3,
                "ox": 720,
                "oy": 480,
                "ar": 1,
                "aq": 1.25,
                "n": "Happy in the snow",
                "pr": "20",
                "tr": version["tr"],
                "v": str(world.market.ntsc_version),
                "exp": "never",
                "codg": "h264",
                "coda": "aac",
                "ext": "mp4",
                "artistname": "carla",
            }
        ],
    }


def test_an_audio_purchase_is_its_own_only_version(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    cart(client, world, creds, f"{world.music}")
    one(client, world, "purchase_using_credits", **creds)
    [container] = downloads(client, world, creds)
    [version] = container["versions"]
    assert container["bid"] == version["v"] == str(world.music)
    link = one(client, world, "download", bid=world.music, tr=version["tr"], v=world.music, **creds)
    assert client.get(link["url"]).content == b"RIFF music " * 40


def test_download_of_a_version_of_another_format_is_51(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    cart(client, world, creds, f"{world.video}:1")
    one(client, world, "purchase_using_credits", **creds)
    [container] = downloads(client, world, creds)
    tr = container["versions"][0]["tr"]
    pal = world.market.pal_versions[0]
    slot = one(client, world, "download", bid=container["bid"], tr=tr, v=pal, **creds)
    assert (slot["e"], slot["code"]) == (True, 51)


def test_download_of_another_buyers_purchase_is_51(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    tr = buy(runtime, world.market.outsider, world.music, sub_offset=None)
    slot = one(client, world, "download", bid=world.music, tr=tr, v=world.music, **creds)
    unknown = one(client, world, "download", bid=1, tr=987654, v=1, **creds)
    assert (slot["code"], unknown["code"]) == (51, 51)


def test_a_download_url_works_only_for_its_buyer(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    cart(client, world, creds, f"{world.music}")
    one(client, world, "purchase_using_credits", **creds)
    [container] = downloads(client, world, creds)
    tr = container["versions"][0]["tr"]
    url = one(client, world, "download", bid=world.music, tr=tr, v=world.music, **creds)["url"]
    tampered = url.replace(f"u={world.buyer}", f"u={world.market.outsider}")
    assert client.get(tampered).status_code in (403, 404)


def test_purchase_with_an_empty_cart_is_101(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    for name in ("purchase_using_credits", "purchase_using_cash", "purchase_using_subscription"):
        assert one(client, world, name, **creds)["code"] == 101, name


def test_purchase_with_too_few_credits_is_102_and_changes_nothing(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    refs = ",".join(f"{world.video}:{so}" for so in (0, 1))
    cart(client, world, creds, f"{refs},{world.plain_video},{world.music},{world.sfx}")
    slot = one(client, world, "purchase_using_credits", **creds)
    assert (slot["e"], slot["code"]) == (True, 102)
    assert credit_balance(runtime, world.buyer) == BUYER_CREDITS
    assert len(one(client, world, "get_cart_formatted", **creds)["items"]) == 5
    assert downloads(client, world, creds) == []


def test_bought_before_is_103_with_both_arrays_until_overridden(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    buy(runtime, world.buyer, world.music)
    cart(client, world, creds, f"{world.music},{world.sfx}")
    refused = one(client, world, "purchase_using_credits", **creds)
    assert refused == {
        "e": True,
        "code": 103,
        "msg": refused["msg"],
        "bought_before": [world.music],
        "ownClips": [],
    }
    assert credit_balance(runtime, world.buyer) == BUYER_CREDITS
    done = one(client, world, "purchase_using_credits", override=[str(world.music)], **creds)
    assert done == {"completed": 1}
    assert credit_balance(runtime, world.buyer) == BUYER_CREDITS - 40


def test_own_clips_are_reported_as_ownclips(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    carla = direct_login(runtime, world, world.contributor)
    cart(client, world, carla, f"{world.sfx}")
    refused = one(client, world, "purchase_using_cash", **carla)
    assert (refused["code"], refused["bought_before"], refused["ownClips"]) == (
        103,
        [],
        [world.sfx],
    )


def test_purchase_using_cash_pays_from_the_cash_balance(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    before = cash_balance(runtime, world.buyer)
    cart(client, world, creds, f"{world.plain_video}")
    assert one(client, world, "purchase_using_cash", userdata="Premiere 2024", **creds) == {
        "completed": 1
    }
    assert cash_balance(runtime, world.buyer) == before - 4000
    assert credit_balance(runtime, world.buyer) == BUYER_CREDITS


def test_purchase_using_cash_short_of_cash_is_a_general_error_not_102(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    """102 is "not enough credits", listed for purchase_using_credits only."""
    partner = direct_login(runtime, world, world.partner)  # no cash, no credits
    cart(client, world, partner, f"{world.sfx}")
    cash = one(client, world, "purchase_using_cash", **partner)
    by_credits = one(client, world, "purchase_using_credits", **partner)
    assert (cash["e"], cash["code"]) == (True, 1)
    assert cash["msg"].startswith("Not enough cash")
    assert (by_credits["e"], by_credits["code"]) == (True, 102)
    assert one(client, world, "get_cart_formatted", **partner)["items"][0]["id"] == world.sfx


def test_purchase_using_cash_with_use_credits_that_would_cover_it_is_106(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    cart(client, world, creds, f"{world.sfx}")
    slot = one(client, world, "purchase_using_cash", use_credits=1, **creds)
    assert slot["code"] == 106
    assert one(client, world, "get_cart_formatted", **creds)["items"][0]["id"] == world.sfx


def test_purchase_using_subscription_needs_exactly_one_item(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    with runtime.db.session() as session:
        buyer = accounts.get_user(session, world.buyer)
        subscriptions.create_subscription(
            session, buyer, plan="Monthly 5", downloads_allowed=5, period_days=30
        )
    cart(client, world, creds, f"{world.sfx},{world.music}")
    two = one(client, world, "purchase_using_subscription", **creds)
    one(client, world, "modify_active_cart", rmid=str(world.music), **creds)
    done = one(client, world, "purchase_using_subscription", **creds)
    assert (two["e"], two["code"]) == (True, 1)
    assert done == {"completed": 1}
    assert [c["bid"] for c in downloads(client, world, creds)] == [str(world.sfx)]
    assert credit_balance(runtime, world.buyer) == BUYER_CREDITS


def test_purchase_using_subscription_without_a_subscription_is_a_general_error(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    cart(client, world, creds, f"{world.sfx}")
    slot = one(client, world, "purchase_using_subscription", **creds)
    assert (slot["e"], slot["code"]) == (True, 1)
    assert downloads(client, world, creds) == []
