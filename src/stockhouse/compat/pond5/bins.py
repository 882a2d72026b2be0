"""Pond5 commands of bins: create_bin, delete_bin, get_bin, get_bin_formatted, get_bins,
get_active_bin, set_active_bin, modify_active_bin.

A bin id that is not one of the user's bins is code 2 "Invalid bin id" everywhere (the
document gives that code for set_active_bin); a user without bins has no current bin
(code 101). get_bin's colon-separated lines hold, in order: id, an unused value (always
0), price, ar, ox, oy, vs, aq, sub_offs (always 0: a bin holds items, not formats), name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import User
from stockhouse.catalog.models import MediaItem
from stockhouse.commerce import bins
from stockhouse.compat.pond5 import facts
from stockhouse.compat.pond5.wire import (
    Call,
    Code,
    Pond5Error,
    command,
    flv_base,
    flv_base_encr,
    icon_base,
    missing,
    price_text,
)
from stockhouse.errors import Conflict, InvalidParameter, NotFound

UNUSED_VALUE = "0"
BIN_SUB_OFFS = 0


def invalid_bin() -> Pond5Error:
    return Pond5Error(Code.MISSING_ARGUMENTS, "Invalid bin id")


def no_current_bin() -> Pond5Error:
    return Pond5Error(Code.EMPTY, "No current bin")


def bin_arg(call: Call) -> int | None:
    """The `binid` argument, None when absent. A value that cannot be a bin id (a word,
    a negative or fractional number, a list) is "Invalid bin id" (code 2, as
    set_active_bin documents), not a general error: every bin command answers a bad id
    the same way."""
    if "binid" not in call.args:
        return None
    try:
        return call.args.integer("binid", minimum=0)
    except Pond5Error as exc:
        raise invalid_bin() from exc


def required_bin_arg(call: Call) -> int:
    """`binid` where the document makes it mandatory (code 2 "Arguments are missing")."""
    bin_id = bin_arg(call)
    if bin_id is None:
        raise missing("binid")
    return bin_id


def _bin_id(call: Call, user: User, session: Session) -> int:
    """The `binid` argument, or the active bin when none is given (101 without bins)."""
    bin_id = bin_arg(call)
    if bin_id is not None:
        return bin_id
    active = bins.active_bin(session, user)
    if active is None:
        raise no_current_bin()
    return active.id


def _contents(call: Call, session: Session) -> tuple[bins.BinContents, User]:
    user = accounts.get_user(session, call.require_user())
    try:
        return bins.get_bin(session, user, _bin_id(call, user, session)), user
    except NotFound as exc:
        raise invalid_bin() from exc


def _price(session: Session, item: MediaItem, user: User) -> str:
    membership = accounts.membership_of(session, user)
    minor = facts.list_price_minor(session, item, membership.group if membership else None)
    return price_text(minor) if minor is not None else ""


def bin_line(session: Session, item: MediaItem, user: User) -> str:
    shape = facts.shape(item)
    fields = [
        shape["id"],
        UNUSED_VALUE,
        _price(session, item, user),
        shape["ar"],
        shape["ox"],
        shape["oy"],
        shape["vs"],
        shape["aq"],
        BIN_SUB_OFFS,
        facts.colon_field(item.title),
    ]
    return ":".join(str(value) for value in fields)


@command("create_bin", login=True)
def create_bin(call: Call) -> dict[str, Any]:
    name = call.args.required_text("name")
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            created = bins.create_bin(session, user, name)
        except (Conflict, InvalidParameter) as exc:
            raise Pond5Error(Code.GENERAL, exc.message) from exc
        return {"binid": created.id}


@command("delete_bin", login=True)
def delete_bin(call: Call) -> dict[str, Any]:
    bin_id = required_bin_arg(call)
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            bins.delete_bin(session, user, bin_id)
        except NotFound as exc:
            raise invalid_bin() from exc
        return {"binid": bin_id, "completed": 1}


@command("get_bin", login=True)
def get_bin(call: Call) -> dict[str, Any]:
    with call.runtime.db.read_session() as session:
        contents, user = _contents(call, session)
        lines = [bin_line(session, item, user) for item in contents.items]
        return {"bin": "\n".join(lines), "binid": contents.bin.id, "icon_base": icon_base(call)}


@command("get_bin_formatted", login=True)
def get_bin_formatted(call: Call) -> dict[str, Any]:
    with call.runtime.db.read_session() as session:
        contents, user = _contents(call, session)
        items = [
            {
                **facts.shape(item),
                "pr": _price(session, item, user),
                "so": BIN_SUB_OFFS,
                **facts.codecs(item),
            }
            for item in contents.items
        ]
        return {
            "items": items,
            "binid": contents.bin.id,
            "icon_base": icon_base(call),
            "flv_base": flv_base(call),
            "flv_base_encr": flv_base_encr(call),
        }


@command("get_bins", login=True)
def get_bins(call: Call) -> dict[str, Any]:
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        listed = [
            {
                "id": summary.id,
                "p": 1 if summary.public else 0,
                "tot": summary.item_count,
                "gen": summary.generation,
                "name": summary.name,
            }
            for summary in bins.list_bins(session, user)
        ]
        return {"icon_base": icon_base(call), "bins": listed}


@command("get_active_bin", login=True)
def get_active_bin(call: Call) -> dict[str, Any]:
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        active = bins.active_bin(session, user)
        if active is None:
            raise no_current_bin()
        return {"binid": active.id}


@command("set_active_bin", login=True)
def set_active_bin(call: Call) -> dict[str, Any]:
    bin_id = bin_arg(call)
    if bin_id is None:
        raise invalid_bin()
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            bins.set_active(session, user, bin_id)
        except NotFound as exc:
            raise invalid_bin() from exc
        return {"completed": 1}


@command("modify_active_bin", login=True)
def modify_active_bin(call: Call) -> dict[str, Any]:
    """Add and remove items of the bin `binid` (the document says it has to be set)."""
    bin_id = required_bin_arg(call)
    add, remove = call.args.id_list("addid"), call.args.id_list("rmid")
    if not add and not remove:
        raise Pond5Error(Code.MISSING_ARGUMENTS, "Arguments are missing: addid or rmid")
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            bins.get_own_bin(session, user, bin_id)
        except NotFound as exc:
            raise invalid_bin() from exc
        try:
            change = bins.modify_bin(session, user, bin_id, add=add, remove=remove)
        except NotFound as exc:
            raise Pond5Error(Code.NO_SUCH_ITEM, exc.message) from exc
        except (Conflict, InvalidParameter) as exc:
            raise Pond5Error(Code.GENERAL, exc.message) from exc
        return {"addid": change.added, "nbr_removed": change.removed}
