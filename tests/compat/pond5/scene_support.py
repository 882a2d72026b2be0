"""A world in which every command of seed 003 has something to show.

`build_scene` takes the world of conftest.py and adds, through the API where the API can
do it: the default categories, a EUR exchange rate, two promo codes, a subscription, the
search index, the buyer's active bin holding four items and two spare bins, a billing
address, and one purchase (the video's PAL format, with credits) whose two versions
get_downloads_formatted lists. The cart is left empty, so command batches can fill it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.catalog.categories import ensure_default_categories
from stockhouse.catalog.models import MediaItem
from stockhouse.catalog.translations import set_tags
from stockhouse.commerce import currency, promo, subscriptions
from stockhouse.runtime import Runtime
from stockhouse.search.service import open_backend
from tests.compat.pond5.conftest import PASSWORD, Pond5World, direct_login, p5

VARIANTS = ("json", "xml")
PROMO_CODES = {"json": "SCENE-JSON", "xml": "SCENE-XML"}
PROMO_MINOR = 2500


@dataclass(frozen=True)
class Scene:
    """The world plus the ids a command batch needs."""

    world: Pond5World
    creds: dict[str, str]  # the buyer sol
    active_bin: int
    spare_bins: dict[str, int]  # one bin to delete per envelope variant
    address_id: int
    bought: dict[str, str]  # bid, tr and v of the second version of the purchase
    logins: dict[str, dict[str, str]]  # one more cx/cm pair of the buyer per variant
    password: str = PASSWORD

    def auth(self, command: str, **params: Any) -> dict[str, Any]:
        """A command object carrying the buyer's cx/cm."""
        return {"command": command, **params, **self.creds}


def _prepare_core(runtime: Runtime, world: Pond5World) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
        currency.set_exchange_rate(
            session, "EUR", ratio="0.92", rounding_style=1, price_modifier="-0.01"
        )
        for code in PROMO_CODES.values():
            promo.create_promo_code(session, code=code, amount_minor=PROMO_MINOR)
        buyer = accounts.get_user(session, world.buyer)
        subscriptions.create_subscription(
            session, buyer, plan="Monthly 5", downloads_allowed=5, period_days=30
        )
        video = session.get(MediaItem, world.video)
        assert video is not None
        set_tags(video, "en", ["snow", "winter", "happy"])
        video.description = "Children playing in the snow"
    backend = open_backend(runtime, maintain=False)
    backend.rebuild()
    runtime.__dict__["search"] = backend


def build_scene(runtime: Runtime, client: TestClient, world: Pond5World) -> Scene:
    _prepare_core(runtime, world)
    creds = direct_login(runtime, world, world.buyer)

    def auth(command: str, **params: Any) -> dict[str, Any]:
        return {"command": command, **params, **creds}

    items = f"{world.video},{world.music},{world.photo},{world.sfx}"
    made = p5(
        client,
        world,
        auth("create_bin", name="Scene"),
        auth("create_bin", name="Spare json"),
        auth("create_bin", name="Spare xml"),
        auth("set_billing_address", country="DE", first_name="Sol", city="Berlin"),
        auth("modify_active_cart", addid=f"{world.video}:0"),
        auth("purchase_using_credits"),
        auth("get_downloads_formatted"),
    )["commands"]
    active, spare_json, spare_xml, address, _, bought, listing = made
    assert bought == {"completed": 1}, made
    filled = p5(client, world, auth("modify_active_bin", binid=active["binid"], addid=items))
    assert filled["commands"] == [{"addid": 4, "nbr_removed": 0}]
    [container] = listing["items"]
    second = container["versions"][1]
    return Scene(
        world=world,
        creds=creds,
        active_bin=active["binid"],
        spare_bins={"json": spare_json["binid"], "xml": spare_xml["binid"]},
        address_id=address["addressid"],
        bought={"bid": container["bid"], "tr": second["tr"], "v": second["v"]},
        logins={variant: direct_login(runtime, world, world.buyer) for variant in VARIANTS},
    )
