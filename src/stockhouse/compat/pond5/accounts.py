"""Pond5 commands of the account: login, logout, userinfo, get_billing_addresses,
set_billing_address.

`login` opens a login session under the envelope's API key and answers cx (the session's
id) and cm (its token); later commands carry both, inside the command object or in the
envelope. A session works only with the key it was made under.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Credential, User
from stockhouse.api.file_responses import blob_response
from stockhouse.commerce import billing, credits
from stockhouse.commerce.billing import AddressFields
from stockhouse.commerce.models import BillingAddress
from stockhouse.compat.pond5.wire import (
    ICON_DIR,
    MAX_INT,
    MEDIA_PREFIX,
    Call,
    Code,
    Pond5Error,
    command,
    icon_base,
    missing,
)
from stockhouse.compat.values import to_int
from stockhouse.errors import AuthenticationFailed, InvalidParameter, NotFound
from stockhouse.runtime import Runtime

MAX_USERNAME_CHARS = 254
MAX_PASSWORD_CHARS = 1024
NOT_AVAILABLE = "-"
AVATAR_PATH = "avatar/{user_id}.jpeg"
ADDRESS_FIELDS = (
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
ADDRESS_FIELD_CHARS = 300


@command("login", login=False)
def login(call: Call) -> dict[str, Any]:
    """Check username and password; answer the cx/cm pair of a new session."""
    username = call.args.required_text("username")
    password = call.args.required_text("password")
    if len(username) > MAX_USERNAME_CHARS or len(password) > MAX_PASSWORD_CHARS:
        raise Pond5Error(Code.GENERAL, "Wrong username or password")
    with call.runtime.db.session() as session:
        try:
            user = accounts.authenticate(session, username, password)
        except AuthenticationFailed as exc:
            raise Pond5Error(Code.GENERAL, "Wrong username or password") from exc
        credential = session.get(Credential, call.credential_id)
        issued = accounts.create_session(
            session, user, ttl_s=call.runtime.settings.session_ttl_s, credential=credential
        )
        return {"cx": str(issued.login.id), "cm": issued.token}


@command("logout", login=True)
def logout(call: Call) -> dict[str, Any]:
    """End the session of the command's cx/cm."""
    assert call.session_token is not None
    with call.runtime.db.session() as session:
        accounts.revoke_session(session, call.session_token)
    return {"completed": 1}


def _user_type(session: Session, user: User) -> str:
    """ "reseller" for a member of an enterprise group (they buy on a company's account),
    else "standard": Stockhouse has no other kind of reselling account."""
    return "standard" if accounts.membership_of(session, user) is None else "reseller"


@command("userinfo", login=True)
def userinfo(call: Call) -> dict[str, Any]:
    """The logged-in user: credits, names, avatar path, user type."""
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        return {
            "credit": credits.credit_balance(session, user),
            "un": user.username,
            "fn": user.first_name or NOT_AVAILABLE,
            "ln": user.last_name or NOT_AVAILABLE,
            "av": AVATAR_PATH.format(user_id=user.id),
            "icon_base": icon_base(call),
            "user_type": _user_type(session, user),
        }


def address_object(address: BillingAddress) -> dict[str, Any]:
    return {
        "addressid": address.id,
        **{name: getattr(address, name) or "" for name in ADDRESS_FIELDS},
        "isdefault": bool(address.is_default),
    }


@command("get_billing_addresses", login=True)
def get_billing_addresses(call: Call) -> list[dict[str, Any]]:
    """Every billing address of the user, oldest first (the slot is a JSON array)."""
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        return [address_object(a) for a in billing.list_addresses(session, user)]


def _address_fields(call: Call) -> AddressFields:
    values = {name: call.args.text(name, max_chars=ADDRESS_FIELD_CHARS) for name in ADDRESS_FIELDS}
    return AddressFields(**values)


@command("set_billing_address", login=True)
def set_billing_address(call: Call) -> dict[str, Any]:
    """Add an address (no addressid) or change the given fields of one."""
    address_id = call.args.integer("addressid", minimum=1)
    values = _address_fields(call)
    if address_id is None and values.country is None:
        raise missing("country")
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            if address_id is None:
                address = billing.add_address(session, user, values)
            else:
                address = billing.update_address(session, user, address_id, values)
        except NotFound as exc:
            raise Pond5Error(Code.MISSING_ARGUMENTS, "Invalid addressid") from exc
        except InvalidParameter as exc:
            raise Pond5Error(Code.GENERAL, exc.message) from exc
        return {"addressid": address.id}


# -- the avatar file userinfo's "av" names ----------------------------------------------

AVATAR_SIDE = 64
AVATAR_SHADE = 200
AVATAR_MEDIA_TYPE = "image/jpeg"
AVATAR_CACHE_CONTROL = "public, max-age=3600"
_default_avatar: bytes | None = None


def default_avatar() -> bytes:
    """A plain light-grey square JPEG, made once per process."""
    global _default_avatar
    if _default_avatar is None:
        import pyvips

        image = (pyvips.Image.black(AVATAR_SIDE, AVATAR_SIDE, bands=3) + AVATAR_SHADE).cast("uchar")
        _default_avatar = bytes(image.jpegsave_buffer(Q=80))
    return _default_avatar


def _avatar_blob(runtime: Runtime, user_id: int) -> tuple[str, int] | None:
    with runtime.db.read_session() as session:
        user = session.get(User, user_id)
        blob = user.avatar_blob if user is not None and user.is_active else None
    if blob is None or not runtime.blobs.exists(blob):
        return None
    return blob, runtime.blobs.size(blob)


async def serve_avatar(request: Request) -> Response:
    """`{icon_base}avatar/{user id}.jpeg`: the user's avatar, else the default one."""
    runtime: Runtime = request.app.state.runtime
    user_id = to_int(str(request.path_params["user_id"]))
    found = None
    if user_id is not None and 0 < user_id <= MAX_INT:
        found = await asyncio.to_thread(_avatar_blob, runtime, user_id)
    headers = {"cache-control": AVATAR_CACHE_CONTROL}
    if found is None:
        content = await asyncio.to_thread(default_avatar)
        return Response(content, media_type=AVATAR_MEDIA_TYPE, headers=headers)
    blob, size = found
    return blob_response(request, runtime.blobs, blob, AVATAR_MEDIA_TYPE, size, headers)


AVATAR_ROUTE = f"{MEDIA_PREFIX}/{ICON_DIR}avatar/{{user_id}}.jpeg"
