"""Every command of seed 003 answers exactly the document's field names, with the
expected types, in both envelopes; the same batch sent as JSON and as XML gives the same
data.

The table below is the document's "Returns" section of each command, field by field
(nesting as the document indents it; the get_downloads_formatted types are those of its
JSON sample). Fields Stockhouse adds are marked `# + Stockhouse` and listed in
docs/compat/pond5.md; nothing else may appear. Each case is a batch of commands run
once as JSON and once as XML on a fresh scene (scene_support.py); batches that change
state are built so that both runs see the same state (add then remove, one spare bin or
promo code or item per variant). Values that differ between two calls by nature (new
ids, tokens, signed URLs) are listed as volatile and compared by type only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.compat.pond5.wire import COMMANDS
from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import Pond5World, p5, p5_xml
from tests.compat.pond5.scene_support import PROMO_CODES, Scene, build_scene
from tests.compat.pond5.seed_table import ADDRESS_PARAMS, SEED

# -- a small language for the document's types -------------------------------------------


@dataclass(frozen=True)
class Nullable:
    """The document's "might be NULL"."""

    spec: Any


@dataclass(frozen=True)
class MapOf:
    """An object keyed by data (get_exchange_ratios: currency code -> object)."""

    value: Any


@dataclass(frozen=True)
class Lines:
    """A new line separated string of colon separated items (get_bin, get_cart):
    id, unused value, price, aspect ratio, dimension x, dimension y, video standard,
    aspect quotient, sub_offs, name, and with artistinfo the artist's name."""

    artist: bool = False


def check(value: Any, spec: Any, path: str = "") -> None:
    """Assert that `value` has exactly the shape `spec` describes."""
    if isinstance(spec, dict):
        assert isinstance(value, dict), (path, value)
        assert set(value) == set(spec), (path, sorted(value), sorted(spec))
        for name, child in spec.items():
            check(value[name], child, f"{path}.{name}")
    elif isinstance(spec, list):
        [element] = spec
        assert isinstance(value, list) and value, (path, value)  # scenes fill every list
        for index, child in enumerate(value):
            check(child, element, f"{path}[{index}]")
    elif isinstance(spec, Nullable):
        if value is not None:
            check(value, spec.spec, path)
    elif isinstance(spec, MapOf):
        assert isinstance(value, dict) and value, (path, value)
        for name, child in value.items():
            check(child, spec.value, f"{path}.{name}")
    elif isinstance(spec, Lines):
        check_lines(value, spec, path)
    else:
        assert type(value) is spec, (path, value, spec)


def check_lines(value: Any, spec: Lines, path: str) -> None:
    assert isinstance(value, str) and value, (path, value)
    for line in value.split("\n"):
        fields = line.split(":")
        assert len(fields) == (11 if spec.artist else 10), (path, line)
        item_id, unused, price, ar, ox, oy, vs, aq, sub_offs, name = fields[:10]
        for number in (item_id, ar, ox, oy, vs, sub_offs):
            assert number.isdigit(), (path, line)
        assert unused == "0", (path, line)
        assert Decimal(price) > 0 and Decimal(aq) > 0, (path, line)
        assert name and all(fields), (path, line)


PRICE = str  # "24", "23.50": the sample shows "pr": "24"
ITEM = {"id": int, "vs": int, "ox": int, "oy": int, "ar": int, "aq": float}
BASES = {"icon_base": str, "flv_base": str, "flv_base_encr": str}

# The get_downloads_formatted sample of the document, verbatim in structure and types.
DOWNLOADS_SAMPLE: dict[str, Any] = {
    "flv_base": "http://somecdnhost.somewhere/",
    "flv_base_encr": "http://somecdnhost.somewhere/",
    "icon_base": "http://someothercdnhost.somewhere/",
    "items": [
        {
            "bid": "62",
            "sub_offs": "0",
            "versions": [
                {
                    "aq": 1.7777799999999999,
                    "ar": 1,
                    "coda": "pcm_s16be",
                    "codg": "dvvideo",
                    "exp": "31 Dec 2015 19:00",
                    "ext": "mov",
                    "n": "happy in the snow",
                    "ox": 720,
                    "oy": 576,
                    "pr": "24",
                    "tr": "434",
                    "v": "62",
                    "vm": 62,
                    "vs": 3,
                }
            ],
        }
    ],
}


def spec_of(sample: Any) -> Any:
    """The shape of a sample document: its keys and the types of its values."""
    if isinstance(sample, dict):
        return {name: spec_of(value) for name, value in sample.items()}
    if isinstance(sample, list):
        return [spec_of(sample[0])]
    return type(sample)


DOWNLOADS_SPEC = spec_of(DOWNLOADS_SAMPLE)
DOWNLOADS_SPEC["items"][0]["versions"][0]["artistname"] = str  # listed, not in the sample

# -- the cases -------------------------------------------------------------------------------

Batch = Callable[[Scene, str], list[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    """A batch and the spec of the slots to check (by index in the batch)."""

    batch: Batch
    specs: Mapping[int, Any]
    volatile: frozenset[str] = field(default_factory=frozenset)


def cart_refs(s: Scene) -> str:
    world = s.world
    return f"{world.plain_video},{world.photo},{world.music}"


def around_cart(s: Scene, *commands: dict[str, Any]) -> list[dict[str, Any]]:
    """Fill the cart, run the commands, empty it again (so both envelopes see one cart)."""
    refs = cart_refs(s)
    return [
        s.auth("modify_active_cart", addid=refs),
        *commands,
        s.auth("modify_active_cart", rmid=refs),
    ]


def buy(method: str) -> Batch:
    def batch(s: Scene, variant: str) -> list[dict[str, Any]]:
        item = s.world.sfx if variant == "json" else s.world.music
        return [s.auth("modify_active_cart", addid=str(item)), s.auth(method, userdata="Premiere")]

    return batch


def logout_batch(s: Scene, variant: str) -> list[dict[str, Any]]:
    fresh = s.logins[variant]
    return [{"command": "logout", **fresh}, {"command": "userinfo", **fresh}]


CART_ITEM = {**ITEM, "n": str, "pr": PRICE, "so": int}
CLIP = {**ITEM, "ed": bool, "n": str}
SEARCH_COLUMNS = {
    "n": str,
    "dur": int,
    "kw": str,
    "desc": str,
    "pricerange": [PRICE],
    "pr": PRICE,
    "fps": float,
    "codg": str,
    "coda": str,
    "artistname": str,
    "filesize": int,
    "vr360": bool,
}
SEARCH_ANSWER = {
    "tot_nbr_rows": int,
    "max_per_page": int,
    "nbr_footage": int,
    "nbr_music": int,
    "nbr_sfx": int,
    **BASES,
}
COMPLETED = {"completed": int}  # + Stockhouse: the document shows no result for these
CATEGORIES = {"categories": [{"n": str, "i": int}]}
EVERY_ARRAY_COLUMN = 1 | 64 | 128 | 256 | 1024
EVERY_SEARCH_COLUMN = 4095
ALL_MEDIA = 16515135 | 128 | 1024

CASES: dict[str, Case] = {
    "create_bin": Case(
        lambda s, v: [s.auth("create_bin", name=f"New {v}")],
        {0: {"binid": int}},
        frozenset({"binid"}),
    ),
    "delete_bin": Case(
        lambda s, v: [s.auth("delete_bin", binid=s.spare_bins[v])],
        {0: {"binid": int, **COMPLETED}},  # + Stockhouse: both (no result documented)
        frozenset({"binid"}),
    ),
    "download": Case(
        lambda s, v: [s.auth("download", **s.bought)],
        {0: {"url": str, "bid": str, "tr": str, "v": str}},
        frozenset({"url"}),
    ),
    "get_bin": Case(
        lambda s, v: [s.auth("get_bin"), s.auth("get_bin", binid=s.active_bin)],
        {i: {"bin": Lines(), "binid": int, "icon_base": str} for i in (0, 1)},
    ),
    "get_bin_formatted": Case(
        lambda s, v: [s.auth("get_bin_formatted")],
        {
            0: {
                "items": [{**CART_ITEM, "codg": str, "coda": str}],
                "binid": int,
                **BASES,
            }
        },
    ),
    "get_bins": Case(
        lambda s, v: [s.auth("get_bins")],
        {
            0: {
                "icon_base": str,
                "bins": [{"id": int, "p": int, "tot": int, "gen": int, "name": str}],
            }
        },
    ),
    "get_cart": Case(
        lambda s, v: around_cart(s, s.auth("get_cart"), s.auth("get_cart", artistinfo=1)),
        {
            1: {"cart": Lines(), "icon_base": str},
            2: {"cart": Lines(artist=True), "icon_base": str},
        },
    ),
    "get_cart_formatted": Case(
        lambda s, v: around_cart(
            s, s.auth("get_cart_formatted"), s.auth("get_cart_formatted", artistinfo=1)
        ),
        {
            1: {"items": [CART_ITEM], **BASES},
            2: {"items": [{**CART_ITEM, "artistname": str}], **BASES},
        },
    ),
    "get_clip_data": Case(
        lambda s, v: [{"command": "get_clip_data", "itemid": s.world.video}],
        {
            0: {
                "icon_base": str,
                "flv_base": str,
                "flv_base_encr": str,  # + Stockhouse
                "clip_data": {
                    **CLIP,
                    "pic_keywords_cb": str,
                    "pic_keywords_cb_translated": str,
                    # + Stockhouse ("not all data is documented yet, so even more data is
                    # returned"): the search columns, all of them
                    **{k: t for k, t in SEARCH_COLUMNS.items() if k not in ("n", "kw")},
                },
            }
        },
    ),
    "get_clip_data_array": Case(
        lambda s, v: [
            {"command": "get_clip_data_array", "itemids": f"{s.world.video},{s.world.music}"},
            {
                "command": "get_clip_data_array",
                "itemids": f"{s.world.video},{s.world.photo}",
                "col": EVERY_ARRAY_COLUMN,
            },
        ],
        {
            0: {**BASES, "items": [CLIP]},  # flv_base_encr: + Stockhouse
            1: {
                **BASES,
                "items": [
                    {
                        **CLIP,
                        "pr": PRICE,
                        "artistname": str,
                        "codg": str,
                        "coda": str,
                        "vr360": bool,
                    }
                ],
            },
        },
    ),
    "get_downloads_formatted": Case(
        lambda s, v: [s.auth("get_downloads_formatted")],
        {0: DOWNLOADS_SPEC},
    ),
    "get_exchange_ratios": Case(
        lambda s, v: [s.auth("get_exchange_ratios")],
        {
            0: MapOf(
                {
                    "exchange_ratio": float,
                    "rounding_style": int,
                    "price_modifier": float,
                    "decimal_points": int,
                }
            )
        },
    ),
    "get_music_categories": Case(
        lambda s, v: [{"command": "get_music_categories"}], {0: CATEGORIES}
    ),
    "get_sfx_categories": Case(lambda s, v: [{"command": "get_sfx_categories"}], {0: CATEGORIES}),
    "get_video_categories": Case(
        lambda s, v: [{"command": "get_video_categories"}], {0: CATEGORIES}
    ),
    "get_versions_formatted": Case(
        lambda s, v: [{"command": "get_versions_formatted", "vm": s.world.video}],
        {
            0: {
                "items": [
                    {
                        "id": int,
                        "ti": str,
                        "tb": str,
                        "i": str,
                        "pr": PRICE,
                        # + Stockhouse: what to add to the cart (vm:so) and the version
                        "vm": int,
                        "so": int,
                        "v": int,
                        **{k: t for k, t in ITEM.items() if k != "id"},
                        "codg": str,
                        "coda": str,
                        "ext": str,
                        "filesize": int,
                    }
                ]
            }
        },
    ),
    "login": Case(
        lambda s, v: [{"command": "login", "username": "sol", "password": s.password}],
        {0: {"cx": str, "cm": str}},
        frozenset({"cx", "cm"}),
    ),
    "logout": Case(logout_batch, {0: COMPLETED, 1: {"e": bool, "code": int, "msg": str}}),
    "get_active_bin": Case(lambda s, v: [s.auth("get_active_bin")], {0: {"binid": int}}),
    "set_active_bin": Case(
        lambda s, v: [s.auth("set_active_bin", binid=s.active_bin)], {0: COMPLETED}
    ),
    "modify_active_bin": Case(
        lambda s, v: [
            s.auth("modify_active_bin", binid=s.active_bin, addid=str(s.world.plain_video)),
            s.auth("modify_active_bin", binid=s.active_bin, rmid=str(s.world.plain_video)),
        ],
        {i: {"addid": int, "nbr_removed": int} for i in (0, 1)},
    ),
    "modify_active_cart": Case(
        lambda s, v: [
            s.auth("modify_active_cart", addid=f"{s.world.video}:1,{s.world.sfx}"),
            s.auth("modify_active_cart", rmid=f"{s.world.video},{s.world.sfx}"),
        ],
        {
            0: {"nbr_added": int, "nbr_removed": int, "bought_before": [int], "ownclips": list},
            1: {"nbr_added": int, "nbr_removed": int},
        },
    ),
    "get_cart_total": Case(
        lambda s, v: around_cart(
            s,
            s.auth("get_cart_total"),
            s.auth("get_cart_total", use_credits=1, addressid=s.address_id),
        ),
        {
            i: {
                "subtotals": {
                    "beforeDiscounts": PRICE,
                    "afterDiscounts": PRICE,
                    "beforeVat": PRICE,
                    "afterVat": PRICE,
                    "final": PRICE,
                },
                "discounts": {"discountAmount": PRICE, "discountPercentage": float},
                "creditsData": {
                    "usedCredits": int,
                    "usedSum": PRICE,
                    "availableSum": int,
                    "remainingSum": int,
                },
                "vatData": {
                    "percentage": Nullable(float),
                    "display": bool,
                    "amount": Nullable(str),
                },
            }
            for i in (1, 2)
        },
    ),
    "promo_redeem": Case(
        lambda s, v: [s.auth("promo_redeem", promocode=PROMO_CODES[v])],
        {0: {"sum": PRICE, "currency": str}},  # currency: + Stockhouse
    ),
    "purchase_using_cash": Case(buy("purchase_using_cash"), {1: COMPLETED}),
    "purchase_using_credits": Case(buy("purchase_using_credits"), {1: COMPLETED}),
    "purchase_using_subscription": Case(buy("purchase_using_subscription"), {1: COMPLETED}),
    "search": Case(
        lambda s, v: [
            {"command": "search", "bm": ALL_MEDIA, "p": 0},
            {"command": "search", "bm": ALL_MEDIA, "p": 0, "col": EVERY_SEARCH_COLUMN},
        ],
        {
            0: {**SEARCH_ANSWER, "items": [ITEM]},
            1: {**SEARCH_ANSWER, "items": [{**ITEM, **SEARCH_COLUMNS}]},
        },
    ),
    "userinfo": Case(
        lambda s, v: [s.auth("userinfo")],
        {
            0: {
                "credit": int,
                "un": str,
                "fn": str,
                "ln": str,
                "av": str,
                "icon_base": str,
                "user_type": str,
            }
        },
    ),
    "get_billing_addresses": Case(
        lambda s, v: [s.auth("get_billing_addresses")],
        {0: [{"addressid": int, **dict.fromkeys(ADDRESS_PARAMS, str), "isdefault": bool}]},
    ),
    "set_billing_address": Case(
        lambda s, v: [s.auth("set_billing_address", addressid=s.address_id, city="Hamburg")],
        {0: {"addressid": int}},  # + Stockhouse (the document's result is cut off)
    ),
}


# -- comparing a JSON answer with an XML one -------------------------------------------------


def as_xml_text(value: Any) -> Any:
    """What a JSON value becomes in the XML answer, read back as conftest.xml_to_python
    does: text for scalars, lists of `<item>`s, empty elements for empty containers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict):
        return {k: as_xml_text(v) for k, v in value.items()} if value else ""
    if isinstance(value, list):
        return [as_xml_text(v) for v in value] if value else ""
    return str(value)


def blank(value: Any, volatile: frozenset[str]) -> Any:
    """`value` with the volatile fields replaced by a marker."""
    if isinstance(value, dict):
        return {k: "*" if k in volatile else blank(v, volatile) for k, v in value.items()}
    if isinstance(value, list):
        return [blank(v, volatile) for v in value]
    return value


# -- the tests -------------------------------------------------------------------------------


@pytest.fixture
def scene(runtime: Runtime, client: TestClient, world: Pond5World) -> Scene:
    return build_scene(runtime, client, world)


def test_the_table_covers_every_command_of_the_seed() -> None:
    assert set(CASES) == set(SEED) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(SEED))
def test_login_is_required_exactly_where_the_document_says(name: str) -> None:
    assert COMMANDS[name].needs_login is SEED[name].login


def send(client: TestClient, s: Scene, case: Case, variant: str) -> Sequence[Any]:
    commands = case.batch(s, variant)
    sender = p5 if variant == "json" else p5_xml
    answer = sender(client, s.world, *commands)
    assert answer["e"] in (False, "false"), answer
    slots: Sequence[Any] = answer["commands"]
    assert len(slots) == len(commands), answer
    return slots


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_answer_has_the_documents_fields_and_xml_the_same_data(
    client: TestClient, scene: Scene, name: str
) -> None:
    case = CASES[name]
    json_slots = send(client, scene, case, "json")
    xml_slots = send(client, scene, case, "xml")
    for index, spec in case.specs.items():
        check(json_slots[index], spec, f"{name}[{index}]")
    expected = [as_xml_text(blank(slot, case.volatile)) for slot in json_slots]
    assert [blank(slot, case.volatile) for slot in xml_slots] == expected
