"""The Pond5 wire: command arguments, the numeric error codes, the command table.

A request holds several command objects; each is answered in its own slot of `commands`.
Command modules register handlers with `@command("name", login=...)`; a handler gets a
`Call` (runtime, the command's arguments, the caller when logged in) and returns the
command's result object. A `Pond5Error` raised by a handler becomes that slot's error
object (see `endpoint.py` for the envelope and docs/compat/pond5.md for the exact shapes).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stockhouse import errors
from stockhouse.compat.values import to_int
from stockhouse.runtime import Runtime

MAX_TEXT_CHARS = 2000
MAX_LIST_ITEMS = 500
MAX_INT = 2**31 - 1


class Code(enum.IntEnum):
    """The numeric codes of seed 003 ("Possible error codes")."""

    GENERAL = 1
    MISSING_ARGUMENTS = 2
    KEY_NOT_ALLOWED = 3
    NOT_LOGGED_IN = 4
    DOWNLOAD_NOT_ALLOWED = 51
    DOWNLOAD_LINK_FAILED = 52
    EMPTY = 101  # cart is empty / no current bin
    NOT_ENOUGH_CREDITS = 102
    BOUGHT_BEFORE = 103
    NO_VALID_PROMO = 104
    NO_SUCH_ITEM = 105
    CREDITS_SUFFICE = 106
    NO_CURRENCIES = 107


DEFAULT_MESSAGES: dict[Code, str] = {
    Code.GENERAL: "General error",
    Code.MISSING_ARGUMENTS: "Arguments are missing",
    Code.KEY_NOT_ALLOWED: "This api key is not allowed to call this command",
    Code.NOT_LOGGED_IN: "You are not logged in",
    Code.DOWNLOAD_NOT_ALLOWED: "User is not allowed to download",
    Code.DOWNLOAD_LINK_FAILED: "Problem creating download link",
    Code.EMPTY: "Cart is empty, nothing to purchase",
    Code.NOT_ENOUGH_CREDITS: "The user has not enough credits to buy whats in the cart",
    Code.BOUGHT_BEFORE: "The cart contains clips the user bought before or owns",
    Code.NO_VALID_PROMO: "No valid promo code",
    Code.NO_SUCH_ITEM: "No such item",
    Code.CREDITS_SUFFICE: "User has enough credits to pay for this order",
    Code.NO_CURRENCIES: "There are no available currencies",
}


class Pond5Error(Exception):
    """A failed command: its code, message and extra fields (103's culprit arrays)."""

    def __init__(
        self, code: Code, message: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        text = message or DEFAULT_MESSAGES[code]
        super().__init__(text)
        self.code = code
        self.message = text
        self.extra = dict(extra or {})


def missing(name: str) -> Pond5Error:
    return Pond5Error(Code.MISSING_ARGUMENTS, f"Arguments are missing: {name}")


def from_domain(exc: errors.DomainError) -> Pond5Error:
    """The code for a core error no handler translated more precisely."""
    if isinstance(exc, errors.InvalidParameter):
        return Pond5Error(Code.MISSING_ARGUMENTS, str(exc))
    if isinstance(exc, errors.AuthenticationFailed):
        return Pond5Error(Code.NOT_LOGGED_IN)
    if isinstance(exc, errors.InsufficientFunds):
        return Pond5Error(Code.NOT_ENOUGH_CREDITS, str(exc))
    if isinstance(exc, errors.NotFound):
        return Pond5Error(Code.NO_SUCH_ITEM, str(exc))
    return Pond5Error(Code.GENERAL, str(exc))


class Args:
    """One command object's arguments; numbers may arrive as strings (XML always does)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def text(
        self, name: str, default: str | None = None, *, max_chars: int = MAX_TEXT_CHARS
    ) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or len(value) > max_chars or not storable(value):
            raise Pond5Error(Code.GENERAL, f"Invalid value for {name}")
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None or not value.strip():
            raise missing(name)
        return value

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = MAX_INT,
    ) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        number = to_int(value)
        if number is None:
            raise Pond5Error(Code.GENERAL, f"{name} must be a number")
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise Pond5Error(Code.GENERAL, f"{name} is out of range")
        return number

    def required_integer(self, name: str, *, minimum: int | None = None) -> int:
        value = self.integer(name, minimum=minimum)
        if value is None:
            raise missing(name)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """JSON booleans, XML "true"/"false", and 1/0 in either."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise Pond5Error(Code.GENERAL, f"{name} must be true or false")

    def id_list(self, name: str, *, max_items: int = MAX_LIST_ITEMS) -> list[int]:
        """A JSON array, XML `<item>` children, a comma-separated string or one id."""
        value = self._values.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, dict):
            value = value.get("item", list(value.values()))
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            value = [value]
        if len(value) > max_items:
            raise Pond5Error(Code.GENERAL, f"{name} has too many ids")
        ids: list[int] = []
        for entry in value:
            number = to_int(entry.strip() if isinstance(entry, str) else entry)
            if number is None or not 0 <= number <= MAX_INT:
                raise Pond5Error(Code.GENERAL, f"{name} must hold numeric ids")
            ids.append(number)
        return ids


def storable(text: str) -> bool:
    """Text a database column and a UTF-8 answer can hold: no NUL (PostgreSQL refuses it)
    and no lone surrogate (JSON's "\\ud800" decodes to one; UTF-8 cannot encode it)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class Call:
    """One command of a request: runtime, its arguments, the caller, the URL bases."""

    runtime: Runtime
    args: Args
    base_url: str
    credential_id: int
    key_owner_id: int
    user_id: int | None = None  # set when the command carries valid cx/cm
    session_token: str | None = None  # the login session of cx/cm (logout ends it)
    https: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def require_user(self) -> int:
        if self.user_id is None:
            raise Pond5Error(Code.NOT_LOGGED_IN)
        return self.user_id


Result = dict[str, Any] | list[dict[str, Any]]  # a slot is an object (a few: an array)
Handler = Callable[[Call], Result]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    needs_login: bool


COMMANDS: dict[str, Command] = {}


def command(name: str, *, login: bool) -> Callable[[Handler], Handler]:
    """Register a handler for `{"command": name}`; `login` as the document's table says."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise RuntimeError(f"Pond5 command {name} registered twice")
        COMMANDS[name] = Command(name, handler, login)
        return handler

    return register


# -- URL bases and prices shared by every command ---------------------------------------

MEDIA_PREFIX = "/pond5/media"
ICON_DIR = "icons/"  # icon_base: {icon_base}%09d_icon.jpeg, {icon_base}bin/%010d_icon.jpeg
FLV_DIR = "flv/"  # flv_base: {flv_base}%09d_prev.m4a, _main_l.mp4, ...
MINOR_PER_MAJOR = 100


def _with_scheme(base: str, https: bool) -> str:
    if https and base.startswith("http://"):
        return "https://" + base[len("http://") :]
    return base


def icon_base(call: Call) -> str:
    """Where icons live, with a trailing slash (https when the envelope asked for it)."""
    return _with_scheme(f"{call.base_url}{MEDIA_PREFIX}/{ICON_DIR}", call.https)


def flv_base(call: Call) -> str:
    """Where previews and other files live, with a trailing slash, as served."""
    return f"{call.base_url}{MEDIA_PREFIX}/{FLV_DIR}"


def flv_base_encr(call: Call) -> str:
    """flv_base with https when the envelope asked for it ("with https if necessary")."""
    return _with_scheme(flv_base(call), call.https)


def price_text(amount_minor: int) -> str:
    """A USD price as Pond5 shows it ("24", "24.50"): major units, cents only when any."""
    major, cents = divmod(amount_minor, MINOR_PER_MAJOR)
    return str(major) if cents == 0 else f"{major}.{cents:02d}"
