"""The Pond5 envelope on the wire: form field `api`, JSON or XML, the commands hash,
batching, cx/cm, and the error forms of a failed envelope and a failed command."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.testclient import TestClient

from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import (
    Pond5World,
    commands_hash,
    direct_login,
    envelope,
    one,
    p5,
    p5_xml,
    post_api,
    xml_envelope,
)


def envelope_error(response_json: dict[str, object], code: int) -> None:
    assert response_json["e"] is True
    assert response_json["code"] == code
    assert isinstance(response_json["msg"], str) and response_json["msg"]
    assert response_json["commands"] == []


# -- batching and arguments -------------------------------------------------------------


def test_batched_commands_are_answered_in_request_order(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5(
        client,
        world,
        {"command": "create_bin", "name": "First", **creds},
        {"command": "get_active_bin", **creds},
        {"command": "create_bin", "name": "Second", **creds},
        {"command": "get_bins", **creds},
    )
    first, active, second, listing = answer["commands"]
    assert answer["e"] is False
    assert active == {"binid": first["binid"]}
    assert [b["name"] for b in listing["bins"]] == ["First", "Second"]
    assert [b["id"] for b in listing["bins"]] == [first["binid"], second["binid"]]


def test_numbers_may_arrive_as_strings(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    binid = one(client, world, "create_bin", name="Strings", **creds)["binid"]
    changed = one(
        client, world, "modify_active_bin", binid=str(binid), addid=str(world.video), **creds
    )
    assert changed == {"addid": 1, "nbr_removed": 0}
    assert one(client, world, "get_bin", binid=f" {binid}", **creds)["binid"] == binid


def test_a_failing_command_answers_in_its_own_slot_and_the_others_still_run(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5(
        client,
        world,
        {"command": "no_such_command", **creds},
        {"command": "create_bin", **creds},
        {"command": "userinfo", **creds},
    )
    unknown, missing, info = answer["commands"]
    assert answer["e"] is False
    assert unknown["e"] is True and unknown["code"] == 1
    assert missing == {"e": True, "code": 2, "msg": missing["msg"]}
    assert "name" in missing["msg"]
    assert info["un"] == "sol"


def test_missing_mandatory_arguments_are_code_2(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    for name, params in (
        ("login", {"username": "sol"}),
        ("delete_bin", creds),
        ("download", {"bid": 1, "tr": 1, **creds}),
        ("modify_active_cart", creds),
    ):
        slot = one(client, world, name, **params)
        assert (slot["e"], slot["code"]) == (True, 2), (name, slot)


def test_a_hostile_argument_value_is_a_command_error_not_a_crash(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    for value in ("1; DROP TABLE bin", "9" * 40, {"a": 1}, "\uff11\uff12", "-5"):
        slot = one(client, world, "delete_bin", binid=value, **creds)
        assert slot["e"] is True and slot["code"] in (1, 2), (value, slot)


# -- logging in -------------------------------------------------------------------------


def test_login_required_commands_without_credentials_are_code_4(
    client: TestClient, world: Pond5World
) -> None:
    for name in ("userinfo", "get_bins", "get_cart", "purchase_using_credits", "download"):
        slot = one(client, world, name)
        assert slot == {"e": True, "code": 4, "msg": "You are not logged in"}, name


def test_wrong_or_mismatched_cx_cm_are_not_logged_in(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    wrong_token = one(client, world, "userinfo", cx=creds["cx"], cm=creds["cm"] + "x")
    wrong_id = one(client, world, "userinfo", cx=str(int(creds["cx"]) + 7), cm=creds["cm"])
    assert wrong_token["code"] == 4
    assert wrong_id["code"] == 4


def test_cx_cm_are_accepted_at_the_outer_level(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5(client, world, {"command": "userinfo"}, {"command": "get_bins"}, **creds)
    info, bins = answer["commands"]
    assert info["un"] == "sol"
    assert bins["bins"] == []


def test_cx_cm_inside_a_command_win_over_the_outer_ones(
    client: TestClient, runtime: Runtime, world: Pond5World, creds: dict[str, str]
) -> None:
    carla = direct_login(runtime, world, world.contributor)
    answer = p5(client, world, {"command": "userinfo", **carla}, {"command": "userinfo"}, **creds)
    assert [slot["un"] for slot in answer["commands"]] == ["carla", "sol"]


def test_cx_as_a_number_is_accepted(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    slot = one(client, world, "userinfo", cx=int(creds["cx"]), cm=creds["cm"])
    assert slot["un"] == "sol"


# -- envelope failures ------------------------------------------------------------------


def test_a_wrong_hash_fails_the_whole_envelope(client: TestClient, world: Pond5World) -> None:
    api = envelope(world, [{"command": "get_video_categories"}], secret="not-the-secret")
    envelope_error(post_api(client, api).json(), 3)


def test_an_unknown_api_key_fails_the_whole_envelope(client: TestClient, world: Pond5World) -> None:
    api = envelope(world, [{"command": "login", "username": "sol"}], key="1_999")
    envelope_error(post_api(client, api).json(), 3)


def test_bad_json_fails_the_whole_envelope(client: TestClient, world: Pond5World) -> None:
    envelope_error(post_api(client, '{"api_key": "1_2", "ver": 1,').json(), 1)
    envelope_error(post_api(client, "[1, 2, 3]").json(), 1)
    broken_commands = envelope(world, '[{"command": "userinfo"')
    envelope_error(post_api(client, broken_commands).json(), 1)


def test_a_missing_api_field_fails_the_whole_envelope(client: TestClient) -> None:
    response = client.post(
        "/pond5/",
        content=b"apx=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    envelope_error(response.json(), 2)


def test_a_missing_envelope_field_fails_the_whole_envelope(
    client: TestClient, world: Pond5World
) -> None:
    api = json.loads(envelope(world, [{"command": "userinfo"}]))
    del api["commands_hash"]
    envelope_error(post_api(client, json.dumps(api)).json(), 2)


def test_another_version_than_1_is_refused(client: TestClient, world: Pond5World) -> None:
    api = json.loads(envelope(world, [{"command": "userinfo"}]))
    api["ver"] = 2
    envelope_error(post_api(client, json.dumps(api)).json(), 1)


def test_a_huge_body_is_refused_before_parsing(client: TestClient) -> None:
    body = urlencode({"api": "x" * 1_100_000}).encode()
    response = client.post(
        "/pond5/", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    envelope_error(response.json(), 1)


def test_deeply_nested_json_is_refused(client: TestClient, world: Pond5World) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    envelope_error(post_api(client, envelope(world, nested)).json(), 1)


def test_too_many_commands_are_refused(client: TestClient, world: Pond5World) -> None:
    commands = [{"command": "get_video_categories"}] * 51
    envelope_error(post_api(client, envelope(world, commands)).json(), 1)


# -- the hash is over the string as received --------------------------------------------


def test_the_hash_covers_commands_json_exactly_as_sent(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    # PHP's json_encode escapes "/" and non-ASCII; the server must not re-serialise.
    text = (
        '[{"command":"create_bin","name":"Caf\\u00e9 \\/ Bar",'
        f'"cx":"{creds["cx"]}","cm":"{creds["cm"]}"}}]'
    )
    answer = post_api(client, envelope(world, text)).json()
    assert answer["e"] is False
    listing = one(client, world, "get_bins", **creds)
    assert [b["name"] for b in listing["bins"]] == ["Café / Bar"]


def test_a_hash_of_a_reserialisation_is_refused(client: TestClient, world: Pond5World) -> None:
    sent = '[{"command":"get_video_categories","x":"a\\/b"}]'
    reserialised = json.dumps(json.loads(sent))
    api = json.dumps(
        {
            "api_key": world.key,
            "ver": 1,
            "commands_json": sent,
            "commands_hash": commands_hash(reserialised, world.secret),
        }
    )
    envelope_error(post_api(client, api).json(), 3)


def test_an_uppercase_hash_is_accepted(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    text = json.dumps([{"command": "userinfo", **creds}])
    api = json.dumps(
        {
            "api_key": world.key,
            "ver": "1",
            "commands_json": text,
            "commands_hash": commands_hash(text, world.secret).upper(),
        }
    )
    assert post_api(client, api).json()["commands"][0]["un"] == "sol"


# -- paths ------------------------------------------------------------------------------


def test_the_api_answers_with_page_api_in_the_query(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5(client, world, {"command": "userinfo", **creds}, path="/pond5/?page=api")
    assert answer["commands"][0]["un"] == "sol"


def test_serve_api_pond5_answers_at_the_root(
    root_client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5(root_client, world, {"command": "userinfo", **creds}, path="/?page=api")
    assert answer["commands"][0]["un"] == "sol"
    assert "Stockhouse" in root_client.get("/").text


def test_the_https_flag_gives_https_bases(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5(client, world, {"command": "get_cart_formatted", **creds}, https=True)
    slot = answer["commands"][0]
    assert slot["icon_base"].startswith("https://")
    assert slot["flv_base_encr"].startswith("https://")
    assert slot["flv_base"].startswith("http://")


# -- XML --------------------------------------------------------------------------------


def test_an_xml_request_gets_an_xml_response(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    answer = p5_xml(
        client,
        world,
        {"command": "create_bin", "name": "From XML", **creds},
        {"command": "modify_active_cart", "addid": f"{world.video}:1", **creds},
        {"command": "get_bins", **creds},
    )
    created, cart, listing = answer["commands"]
    assert answer["e"] == "false"
    assert created["binid"].isdigit()
    assert cart["nbr_added"] == "1"
    assert listing["bins"] == [
        {"id": created["binid"], "p": "0", "tot": "0", "gen": "0", "name": "From XML"}
    ]


def test_xml_lists_are_item_children(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    binid = one(client, world, "create_bin", name="Listed", **creds)["binid"]
    answer = p5_xml(
        client,
        world,
        {
            "command": "modify_active_bin",
            "binid": binid,
            "addid": [world.video, world.music],
            **creds,
        },
    )
    assert answer["commands"][0] == {"addid": "2", "nbr_removed": "0"}


def test_an_xml_command_error_is_in_its_slot(client: TestClient, world: Pond5World) -> None:
    answer = p5_xml(client, world, {"command": "userinfo"})
    assert answer["commands"] == [{"e": "true", "code": "4", "msg": "You are not logged in"}]


def test_a_wrong_xml_hash_fails_the_envelope_in_xml(client: TestClient, world: Pond5World) -> None:
    response = post_api(
        client, xml_envelope(world, [{"command": "userinfo"}], secret="wrong-secret")
    )
    assert response.headers["content-type"].startswith("text/xml")
    assert b"<e>true</e>" in response.content
    assert b"<code>3</code>" in response.content
    assert b"<commands />" in response.content or b"<commands></commands>" in response.content


EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<pond5_api_request><api_key>&x;</api_key></pond5_api_request>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
    "<pond5_api_request><api_key>&e;</api_key></pond5_api_request>"
)


def test_xml_with_an_external_entity_is_refused(client: TestClient) -> None:
    response = post_api(client, EXTERNAL_ENTITY)
    assert response.status_code == 200
    assert b"<e>true</e>" in response.content
    assert b"root:" not in response.content


def test_xml_with_entity_expansion_is_refused(client: TestClient) -> None:
    response = post_api(client, BILLION_LAUGHS)
    assert b"<e>true</e>" in response.content
    assert b"aaaaaaaaaa" not in response.content


def test_an_entity_inside_commands_xml_is_refused(client: TestClient, world: Pond5World) -> None:
    inner = (
        '<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<commands><item><command>create_bin</command><name>&x;</name></item></commands>"
    )
    response = post_api(client, xml_envelope(world, inner))
    assert b"<e>true</e>" in response.content
    assert b"<code>1</code>" in response.content


def test_malformed_xml_is_an_envelope_error(client: TestClient) -> None:
    response = post_api(client, "<pond5_api_request><api_key>")
    assert b"<e>true</e>" in response.content
