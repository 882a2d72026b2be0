"""Hostile input to every command: the catalogue's error form (or a plain success), never a 500.

For each command (one test id each) every documented parameter in turn gets each hostile
value: arrays where text is expected and text where arrays are, objects, huge and
negative numbers, fractions, NaN, unicode with control characters, SQL-looking text, NUL
bytes, deep PHP arrays, empty and null values, and finally a 2 MB body. The other
parameters keep valid values, so the hostile one is really read. Every answer must be
HTTP 200 JSON in the envelope; a failure must carry `error {errorcode: int, errormsg:
str, exception: str}` and never be the internal error (a crash the endpoint caught).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from tests.compat.depositphotos.conftest import DP_KEY, World, form_pairs

INTERNAL_ERROR = "EApi\\EInternalError"
TWO_MB = 2 * 1024 * 1024


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"k": value}
    return value


# name -> (how it travels, the value)
HOSTILE: dict[str, tuple[str, Any]] = {
    "list of text": ("json", ["a", "b"]),
    "php list": ("form", ["a", "b"]),
    "object": ("json", {"x": {"y": "z"}}),
    "deep php array": ("form", _deep(20)),
    "huge integer": ("json", 10**40),
    "huge integer as text": ("form", "9" * 40),
    "negative": ("json", -7),
    "negative as text": ("form", "-2147483649"),
    "fraction": ("json", 1.5),
    "not a number": ("json", float("nan")),
    "boolean": ("json", True),
    "null": ("json", None),
    "empty": ("form", ""),
    "unicode": ("form", "Ünïcödé \u202e \u0007 🎉 \u210c\U0001d522\U0001d529\U0001d529\U0001d52c"),
    "sql": ("form", "1' OR '1'='1'; DROP TABLE media_item; --"),
    "nul byte": ("form", "12\x00' OR 1=1"),
    "path": ("form", "../../../../etc/passwd"),
}

Baseline = Callable[[World], dict[str, Any]]


def _licensing(world: World) -> dict[str, Any]:
    return {"dp_item_id": world.photo, "dp_license_id": 1, "dp_option": "s-2015"}


PARTY = {"company": "Client Co", "fullName": "Jordan Client"}
SEARCH_PARAMS = [
    "dp_domain",
    "dp_search_query",
    "dp_search_sort",
    "dp_search_limit",
    "dp_search_offset",
    "dp_search_color",
    "dp_search_nudity",
    "dp_search_user",
    "dp_search_username",
    "dp_search_orientation",
    "dp_search_imagesize",
    "dp_exclude_keyword",
    "dp_search_photo",
    "dp_search_vector",
    "dp_search_video",
    "dp_search_editorial",
    "dp_tracking_url",
    "dp_full_info",
    "dp_watermark",
    "dp_translate_items",
    "dp_lang",
    "dp_search_correction",
    "dp_search_height",
    "dp_search_width",
    "dp_search_max_height",
    "dp_search_max_width",
    "dp_search_dimension_units",
    "dp_image_url",
    "dp_search_gender",
    "dp_search_people_only",
    "dp_search_age",
    "dp_search_race",
    "dp_search_quantity",
    "dp_item_permission",
]
LISTING = ("dp_type", "dp_date_start", "dp_date_end", "dp_user_id", "dp_offset", "dp_limit")

# command -> (session user or None, valid parameters, the parameters to attack)
COMMANDS: dict[str, tuple[str | None, Baseline, tuple[str, ...]]] = {
    "loginEnterprise": (
        None,
        lambda w: {"dp_login_user": "mia", "dp_login_password": "secret"},
        ("dp_login_user", "dp_login_password"),
    ),
    "logout": ("oz", lambda w: {}, ("dp_session_id",)),
    "renewSession": ("oz", lambda w: {}, ("dp_session_id",)),
    "getUserEnterpriseGroup": ("mia", lambda w: {}, ("dp_session_id",)),
    "getEnterpriseUserData": ("mia", lambda w: {}, ("dp_session_id", "dp_user_id")),
    "search": (None, lambda w: {"dp_search_query": "harbour"}, tuple(SEARCH_PARAMS)),
    "getMediaData": (
        None,
        lambda w: {"dp_media_id": w.photo},
        (
            "dp_media_id",
            "dp_full_similar",
            "dp_domain",
            "dp_datetime_format",
            "dp_translate_items",
            "dp_country_excluded",
            "dp_lang",
            "dp_search_layout",
        ),
    ),
    "complimentaryDownload": (
        "mia",
        lambda w: {"dp_item_id": w.photo, "dp_option": "s-2015"},
        ("dp_item_id", "dp_option"),
    ),
    "getGroupCompDownloads": ("mia", lambda w: {}, LISTING),
    "getLicenseOfGroup": ("mia", lambda w: {}, ("dp_session_id",)),
    "licenseItem": (
        "mia",
        lambda w: {"dp_licensing": _licensing(w)},
        (
            "dp_licensing",
            "dp_licensing.dp_item_id",
            "dp_licensing.dp_license_id",
            "dp_licensing.dp_option",
            "dp_licensing.dp_ext_options",
            "dp_project",
            "dp_client",
            "dp_purchase_order",
            "dp_isbn",
            "dp_other",
        ),
    ),
    "getLicensedItems": ("mia", lambda w: {}, LISTING),
    "getTransactionLicenseInfo": (
        "mia",
        lambda w: {"dp_transaction_id": 1},
        ("dp_transaction_id",),
    ),
    "transferEnterpriseLicense": (
        "mia",
        lambda w: {"dp_item_transaction_id": 1, "dp_from": PARTY, "dp_to": PARTY},
        (
            "dp_item_transaction_id",
            "dp_item_transaction_ids",
            "dp_from",
            "dp_to",
            "dp_to.company",
            "dp_to.email",
        ),
    ),
    "getTransferredLicenses": ("mia", lambda w: {}, LISTING),
    "createEnterpriseInvoice": (
        "pat",
        lambda w: {"dp_item_transaction_ids": [1]},
        ("dp_item_transaction_ids", "dp_field_value"),
    ),
    "getEnterpriseInvoice": ("pat", lambda w: {"dp_invoice_id": 1}, ("dp_invoice_id",)),
    "getEnterpriseInvoiceCount": ("pat", lambda w: {}, ("dp_state", "dp_group_id")),
    "getEnterpriseInvoiceList": ("pat", lambda w: {}, ("dp_offset", "dp_limit", "dp_state")),
    "imageGenerator.generate": (
        "mia",
        lambda w: {"dp_prompt": "A red boat"},
        ("dp_prompt", "dp_callback_url", "dp_aspect_ratio", "dp_medium"),
    ),
    "imageGenerator.get": (
        "mia",
        lambda w: {"dp_uuid": "3524139b-20c7-4cda-8860-8ede3f79306d"},
        ("dp_uuid",),
    ),
    "imageGenerator.getMediaData": (
        "mia",
        lambda w: {"dp_uuid": "3524139b-20c7-4cda-8860-8ede3f79306d"},
        ("dp_uuid",),
    ),
}


def _with(params: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """The parameters with `name` (or `outer.inner` inside an object) set to `value`."""
    changed = dict(params)
    outer, _, inner = name.partition(".")
    if inner:
        changed[outer] = {**changed[outer], inner: value}
    else:
        changed[outer] = value
    return changed


def send(client: TestClient, command: str, how: str, params: Mapping[str, Any]) -> Any:
    """POST the command: a JSON body (key and command in the URL) or a PHP-style form."""
    if how == "json":
        response = client.post(
            f"/depositphotos/?dp_command={command}&dp_apikey={DP_KEY}",
            content=json.dumps(params).encode(),  # NaN travels as the bare token NaN
            headers={"Content-Type": "application/json"},
        )
    else:
        pairs = [("dp_command", command), ("dp_apikey", DP_KEY)]
        for name, value in params.items():
            pairs += [(name, "")] if value is None else form_pairs(name, value)
        response = client.post(
            "/depositphotos/",
            content=urlencode(pairs).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def envelope_problem(answer: Any) -> str | None:
    """Why the answer is not a proper success or catalogue failure (None when it is)."""
    if not isinstance(answer, dict) or answer.get("version") != "1.3":
        return "no envelope"
    if answer.get("type") == "success":
        return None
    error = answer.get("error")
    if answer.get("type") != "failure" or not isinstance(error, dict):
        return "no error object"
    kinds = (
        type(error.get("errorcode")),
        type(error.get("errormsg")),
        type(error.get("exception")),
    )
    if kinds != (int, str, str):
        return f"error fields of types {kinds}"
    if error["exception"] == INTERNAL_ERROR:
        return "internal error (a crash)"
    return None


@pytest.mark.parametrize("command", list(COMMANDS))
def test_hostile_values_in_every_parameter_get_the_catalogue_form(
    client: TestClient, world: World, sessions: dict[str, str], command: str
) -> None:
    user, baseline, attacked = COMMANDS[command]
    valid = baseline(world)
    if user is not None:
        valid["dp_session_id"] = sessions[user]
    found: list[str] = []
    for name in attacked:
        for kind, (how, value) in HOSTILE.items():
            answer = send(client, command, how, _with(valid, name, value))
            problem = envelope_problem(answer)
            if problem is not None:
                found.append(f"{name} = {kind}: {problem}: {answer}")

    assert found == []
    # nothing the sweep sent changed the catalogue: the photo is still there
    still = send(client, "getMediaData", "form", {"dp_media_id": world.photo})
    assert still["type"] == "success" and still["title"] == "Harbour at dawn"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_two_megabyte_body_is_invalid_param(
    client: TestClient, world: World, sessions: dict[str, str], command: str
) -> None:
    user, baseline, _ = COMMANDS[command]
    params = {**baseline(world), "dp_other": "x" * TWO_MB}
    if user is not None:
        params["dp_session_id"] = sessions[user]

    for how in ("form", "json"):
        answer = send(client, command, how, params)

        assert answer["type"] == "failure"
        assert answer["error"]["exception"] == "EInternal\\InvalidParam"
        assert answer["error"]["errorcode"] == 400


@pytest.mark.parametrize("name", ["dp_command", "dp_apikey", "dp_session_id"])
def test_hostile_envelope_parameters_get_the_catalogue_form(
    client: TestClient, world: World, name: str
) -> None:
    found = []
    for kind, (how, value) in HOSTILE.items():
        params = {"dp_media_id": world.photo, "dp_session_id": "x"}
        if how == "json":
            response = client.post(
                "/depositphotos/?dp_command=getLicenseOfGroup",
                content=json.dumps({"dp_apikey": DP_KEY, **params, name: value}).encode(),
                headers={"Content-Type": "application/json"},
            )
        else:
            pairs = form_pairs("dp_command", "getLicenseOfGroup") + form_pairs("dp_apikey", DP_KEY)
            pairs = [p for p in pairs if p[0] != name] + form_pairs(name, value)
            response = client.post(
                "/depositphotos/",
                content=urlencode(pairs).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        assert response.status_code == 200
        answer = response.json()
        if answer.get("type") != "failure" or envelope_problem(answer) is not None:
            found.append(f"{kind}: {answer}")

    assert found == []
