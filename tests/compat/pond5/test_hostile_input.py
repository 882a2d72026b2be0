"""Hostile input, command by command and at the envelope: every answer is HTTP 200 in the
API's own error form (or a normal result), never a 500, and no command fails inside
(the endpoint's last-resort handler logs such failures; none may be logged).

For each command of seed 003 (seed_table.py), each of its parameters, and cx/cm, gets
each value of HOSTILE in turn while the other parameters stay valid, in JSON and in XML
envelopes. A failed command must answer `{"e": true, "code": N, "msg": "..."}` with a
code the command may give (its documented codes, or 1, 2, 4, 105).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import pytest
from defusedxml.ElementTree import fromstring as defused_fromstring
from starlette.testclient import TestClient

from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import (
    Pond5World,
    commands_hash,
    envelope,
    p5,
    p5_xml,
    xml_envelope,
)
from tests.compat.pond5.scene_support import Scene, build_scene
from tests.compat.pond5.seed_table import SEED

HOSTILE: dict[str, Any] = {
    "sql": "1; DROP TABLE users; --",
    "sql_quote": "' OR '1'='1",
    "digits_40": "9" * 40,
    "int_1e30": 10**30,
    "negative": -1,
    "negative_text": "-5",
    "fraction": 1.5,
    "float_1e308": 1e308,
    "nan": float("nan"),
    "infinity": float("-inf"),
    "boolean": True,
    "null": None,
    "empty": "",
    "blank": "   ",
    "nested_list": [1, [2, [3]]],
    "object": {"a": {"b": 1}},
    "nul": "a\x00b",
    "lone_surrogate": "\ud800",
    "unicode": "ünïcødé ✓ \U0001d518 \u0661\u0662",
    "fullwidth_digits": "\uff11\uff12",
    "text_5000": "x" * 5000,
    "path": "../../etc/passwd",
    "private_url": "http://169.254.169.254/latest/meta-data/",
    "markup": "<a>&amp;</a>",
    "exponent": "1e5",
    "hex": "0x10",
    "padded_number": " 7 ",
}
# What XML cannot carry at all (the parser refuses it: an envelope error, tested below).
NOT_IN_XML = {"nul", "lone_surrogate"}
BATCH = 50  # the envelope's command limit
ERROR_FIELDS = {"e", "code", "msg", "bought_before", "ownClips"}
LOGGER = "stockhouse.compat.pond5"


def valid_params(s: Scene, name: str) -> dict[str, Any]:
    """Arguments that make `name` a sensible call in the scene (hostile values replace one)."""
    world = s.world
    table: dict[str, dict[str, Any]] = {
        "create_bin": {"name": "Hostile"},
        "delete_bin": {"binid": s.spare_bins["json"]},
        "download": dict(s.bought),
        "get_bin": {"binid": s.active_bin},
        "get_bin_formatted": {"binid": s.active_bin},
        "get_cart": {"artistinfo": 1},
        "get_cart_formatted": {"artistinfo": 1},
        "get_clip_data": {"itemid": world.video},
        "get_clip_data_array": {"itemids": f"{world.video},{world.music}", "col": 1},
        "get_versions_formatted": {"vm": world.video},
        "login": {"username": "sol", "password": s.password},
        "set_active_bin": {"binid": s.active_bin},
        "modify_active_bin": {"binid": s.active_bin, "addid": str(world.plain_video)},
        "modify_active_cart": {"addid": str(world.sfx)},
        "get_cart_total": {"use_credits": 1},
        "promo_redeem": {"promocode": "NOPE-NOPE"},
        "purchase_using_cash": {"use_credits": 0},
        "search": {"query": "snow", "bm": 16515135, "no": 25, "p": 0, "sb": 1},
        "set_billing_address": {"country": "DE"},
    }
    return table.get(name, {})


def hostile_commands(s: Scene, name: str, *, xml: bool) -> list[dict[str, Any]]:
    """One command object per (parameter or cx/cm, hostile value)."""
    targets = [*SEED[name].params, "cx", "cm", "unknown_param"]
    made = []
    for target in targets:
        for label, value in HOSTILE.items():
            if xml and label in NOT_IN_XML:
                continue
            params = {**valid_params(s, name), **s.creds, target: value}
            if value is None and xml:
                params.pop(target)
            made.append({"command": name, **params})
    return made


def chunks(items: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def check_slot(name: str, command: Mapping[str, Any], slot: Any, *, xml: bool) -> None:
    """A normal result, or the command's error form with a code it may give."""
    failed = isinstance(slot, dict) and slot.get("e") in (True, "true")
    if not failed:
        assert isinstance(slot, dict | list), (command, slot)
        return
    assert set(slot) <= ERROR_FIELDS, (command, slot)
    code = int(slot["code"]) if xml else slot["code"]
    assert code in SEED[name].answerable_codes, (command, slot)
    assert isinstance(slot["msg"], str) and slot["msg"], (command, slot)


@pytest.fixture
def scene(runtime: Runtime, client: TestClient, world: Pond5World) -> Scene:
    return build_scene(runtime, client, world)


@pytest.mark.parametrize("name", sorted(SEED))
def test_hostile_arguments_get_the_commands_error_form(
    client: TestClient, scene: Scene, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER)
    for xml in (False, True):
        sender = p5_xml if xml else p5
        for batch in chunks(hostile_commands(scene, name, xml=xml)):
            answer = sender(client, scene.world, *batch)
            assert answer["e"] in (False, "false"), answer
            assert len(answer["commands"]) == len(batch)
            for command, slot in zip(batch, answer["commands"], strict=True):
                check_slot(name, command, slot, xml=xml)
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == []


# -- the envelope --------------------------------------------------------------------------

TWO_MB = 2 * 1024 * 1024
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<pond5_api_request><api_key>&x;</api_key></pond5_api_request>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    "<pond5_api_request><api_key>&c;</api_key></pond5_api_request>"
)


def json_body(world: Pond5World, commands_text: str, **outer: Any) -> bytes:
    value = json.dumps(
        {
            "api_key": world.key,
            "ver": 1,
            "commands_json": commands_text,
            "commands_hash": commands_hash(commands_text, world.secret),
            **outer,
        }
    )
    return urlencode({"api": value}).encode()


def xml_body(world: Pond5World, commands_text: str) -> bytes:
    return urlencode({"api": xml_envelope(world, commands_text)}).encode()


def form(value: str) -> bytes:
    return urlencode({"api": value}).encode()


ENVELOPES: dict[str, Any] = {
    "neither_json_nor_xml": lambda w: form("hello"),
    "json_array": lambda w: form("[1, 2]"),
    "json_nul": lambda w: form('{"api_key": "\x00", "ver": 1}'),
    "commands_not_a_string": lambda w: form(
        json.dumps({"api_key": w.key, "ver": 1, "commands_json": [], "commands_hash": "0"})
    ),
    "no_commands": lambda w: json_body(w, "[]"),
    "commands_of_numbers": lambda w: json_body(w, "[1, 2]"),
    "huge_number": lambda w: json_body(w, '[{"command": "search", "p": 1' + "0" * 5000 + "}]"),
    "nested_commands": lambda w: json_body(w, "[" * 5000 + "]" * 5000),
    "ver_huge": lambda w: json_body(w, '[{"command": "search"}]', ver=10**40),
    "sql_key": lambda w: form(envelope(w, '[{"command":"search"}]', key="1' OR '1'='1")),
    "unicode_key": lambda w: form(envelope(w, '[{"command":"search"}]', key="ключ\u200b")),
    "hash_unicode": lambda w: form(
        json.dumps({"api_key": w.key, "ver": 1, "commands_json": "[]", "commands_hash": "ü" * 32})
    ),
    "body_two_mb": lambda w: form("x" * TWO_MB),
    "body_not_utf8": lambda w: b"api=\xff\xfe\xfd",
    "api_bad_percent": lambda w: b"api=%ff%fe%fd",
    "many_fields": lambda w: b"a=1&" * 100 + b"api=x",
    "xml_doctype_xxe": lambda w: form(XXE),
    "xml_entity_expansion": lambda w: form(LAUGHS),
    "xml_entity_in_commands": lambda w: xml_body(
        w, '<!DOCTYPE c [<!ENTITY e "x">]><commands><item><command>&e;</command></item></commands>'
    ),
    "xml_nested_commands": lambda w: xml_body(
        w, "<commands><item>" + "<a>" * 50 + "</a>" * 50 + "</item></commands>"
    ),
    "xml_malformed": lambda w: form("<pond5_api_request><api_key>"),
    "xml_other_root": lambda w: form("<html><body/></html>"),
    "xml_commands_not_xml": lambda w: xml_body(w, "not xml at all"),
}


def envelope_error(response: Any) -> dict[str, Any]:
    """The envelope error of a JSON or XML answer, as {"e", "code", "msg", "commands"}."""
    assert response.status_code == 200, response.text[:300]
    if response.headers["content-type"].startswith("application/json"):
        answer: dict[str, Any] = response.json()
        return answer
    root = defused_fromstring(response.content)
    assert root.tag == "pond5_api_response"
    values = {child.tag: child for child in root}
    return {
        "e": values["e"].text == "true",
        "code": int(values["code"].text or ""),
        "msg": values["msg"].text or "",
        "commands": list(values["commands"]),
    }


@pytest.mark.parametrize("label", sorted(ENVELOPES))
def test_a_hostile_envelope_is_an_envelope_error(
    client: TestClient, world: Pond5World, label: str
) -> None:
    body = ENVELOPES[label](world)
    response = client.post(
        "/pond5/", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    answer = envelope_error(response)
    assert answer["e"] is True, answer
    assert answer["code"] in (1, 2, 3), answer
    assert isinstance(answer["msg"], str) and answer["msg"], answer
    assert answer["commands"] == []


def test_a_two_megabyte_body_without_a_length_is_refused_while_reading(
    client: TestClient,
) -> None:
    def stream() -> Iterator[bytes]:
        yield b"api="
        for _ in range(32):
            yield b"x" * (64 * 1024)

    response = client.post(
        "/pond5/", content=stream(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.json()["e"] is True
    assert "too large" in response.json()["msg"]
