"""The Depositphotos wire: parameters, the error catalogue, the envelope and the command table.

Every command module registers its handlers with `@command("name")`; a handler gets a
`Call` (who asks, the parameters) and returns the command's own fields. The endpoint
(`endpoint.py`) adds `timestamp`, `version` and `type`, and turns a `DpError` (or a core
`DomainError`, through `from_domain`) into the failure envelope. The catalogue follows
wire-notes.md section 2 (the official SDK's exception tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stockhouse import errors
from stockhouse.compat.values import to_int
from stockhouse.runtime import Runtime

API_VERSION = "1.3"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_TEXT_CHARS = 2000
MAX_LIST_ITEMS = 1000
MAX_INT = 2**31 - 1

TRUE_WORDS = frozenset({"1", "true", "on", "yes"})
FALSE_WORDS = frozenset({"0", "false", "off", "no", ""})
LIST_BRACKETS = frozenset({"{}", "[]"})


# -- errors -----------------------------------------------------------------------------


class DpError(Exception):
    """A failure answer: `{"type": "failure", "error": {errorcode, errormsg, exception}}`."""

    def __init__(self, errorcode: int, errormsg: str, exception: str) -> None:
        super().__init__(errormsg)
        self.errorcode = errorcode
        self.errormsg = errormsg
        self.exception = exception

    def as_error(self) -> dict[str, Any]:
        return {"errorcode": self.errorcode, "errormsg": self.errormsg, "exception": self.exception}


def undefined_command() -> DpError:
    return DpError(400, "dp_command should be specified", "EAPI\\EUndefinedCommand")


def command_not_found() -> DpError:
    return DpError(403, "Specified command not found", "EAPI\\EValueNotAllowed")


def illegal_api_key() -> DpError:
    return DpError(
        403,
        "The API key is illegal, use correct characters and API key length",
        "EAPI\\EIllegalApiKey",
    )


def illegal_session() -> DpError:
    return DpError(403, "Session ID invalid or session is expired", "EAPI\\EIllegalSession")


def invalid_param(name: str, message: str | None = None) -> DpError:
    text = message or f"{name.capitalize()} is required and cannot be empty"
    return DpError(400, text, "EInternal\\InvalidParam")


def value_not_allowed(message: str) -> DpError:
    return DpError(403, message, "EAPI\\EValueNotAllowed")


def item_not_found() -> DpError:
    return DpError(0, "Item does not exists", "NotFoundItemException")


def login_failed() -> DpError:
    return DpError(404, "This login does not exist. Please try again.", "EUser\\Authentication")


def not_enterprise_member() -> DpError:
    """A login or a group command by a user who belongs to no enterprise group."""
    return DpError(403, "This user is not a member of an enterprise group", "EUser\\Authentication")


def access_denied(message: str) -> DpError:
    return DpError(403, message, "EAPI\\EAccessDenied")


def internal_error() -> DpError:
    return DpError(0, "Internal error", "EApi\\EInternalError")


def from_domain(exc: errors.DomainError) -> DpError:
    """The catalogue entry for a core error (the core never knows this wire)."""
    if isinstance(exc, errors.InvalidParameter):
        return invalid_param(exc.name, str(exc))
    if isinstance(exc, errors.NotFound):
        return DpError(404, str(exc), "EApi\\ENotFound")
    if isinstance(exc, errors.AuthenticationFailed):
        return illegal_session()
    if isinstance(exc, errors.InsufficientFunds):
        return DpError(402, str(exc), "EEnterprise\\EInsufficientFunds")
    if isinstance(exc, errors.PermissionDenied):
        return DpError(403, str(exc), "EAPI\\EAccessDenied")
    if isinstance(exc, errors.RateLimited):
        return DpError(429, str(exc), "EAPI\\ERateLimit")
    if isinstance(exc, errors.Conflict):
        return value_not_allowed(str(exc))
    return DpError(400, str(exc), "EApi\\EError")


# -- parameters -------------------------------------------------------------------------


class Params:
    """The merged request parameters (query string, form, JSON body), read with checks.

    Every accessor raises `invalid_param` for a value of the wrong shape, so a handler
    never sees a list where it expects text, a float where it expects an id, and so on.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __contains__(self, name: str) -> bool:
        return name in self._values and self._values[name] is not None

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def names(self) -> list[str]:
        return list(self._values)

    def text(
        self, name: str, default: str | None = None, *, max_chars: int = MAX_TEXT_CHARS
    ) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            value = "1" if value else "0"
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise invalid_param(name, f"{name} must be a string")
        if len(value) > max_chars or "\x00" in value:
            raise invalid_param(name, f"{name} is too long or contains invalid characters")
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None or not value.strip():
            raise invalid_param(name)
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
            raise invalid_param(name, f"{name} must be an integer")
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise invalid_param(name, f"{name} is out of range")
        return number

    def required_integer(self, name: str, *, minimum: int | None = None) -> int:
        value = self.integer(name, minimum=minimum)
        if value is None:
            raise invalid_param(name)
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        raise invalid_param(name, f"{name} must be a boolean (1/0, true/false, on/off, yes/no)")

    def integer_list(self, name: str, *, max_items: int = MAX_LIST_ITEMS) -> list[int]:
        """One id, a comma-separated string (in braces or brackets or not), a JSON list or a
        PHP array, as a list of ints."""
        value = self._values.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, str):
            # the document writes a list as "{12345677, 12345678}": braces or brackets are fine
            text = value.strip()
            if text[:1] + text[-1:] in LIST_BRACKETS:
                text = text[1:-1]
            value = [part for part in text.split(",") if part.strip()]
        if not isinstance(value, list):
            value = [value]
        if len(value) > max_items:
            raise invalid_param(name, f"{name} has more than {max_items} values")
        numbers: list[int] = []
        for entry in value:
            number = to_int(entry.strip() if isinstance(entry, str) else entry)
            if number is None or not 0 <= number <= MAX_INT:
                raise invalid_param(name, f"{name} must hold integer ids")
            numbers.append(number)
        return numbers

    def nested(self, name: str) -> list[dict[str, Any]]:
        """An object or a list of objects (`dp_licensing` arrives either way)."""
        value = self._values.get(name)
        if value is None:
            return []
        if isinstance(value, dict) and value and all(k.isdigit() for k in value):
            value = list(value.values())
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            if len(value) > MAX_LIST_ITEMS:
                raise invalid_param(name, f"{name} has too many entries")
            return list(value)
        raise invalid_param(name, f"{name} must be an object or a list of objects")

    def sub(self, values: Mapping[str, Any]) -> Params:
        """Parameters of a nested object, read with the same checks."""
        return Params(values)


# -- the call and the command table -----------------------------------------------------


@dataclass
class Call:
    """One command invocation: the runtime, the parameters, the caller as far as known."""

    runtime: Runtime
    params: Params
    base_url: str
    api_key: str
    credential_id: int | None = None
    user_id: int | None = None  # set for commands that need a session
    session_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def require_user(self) -> int:
        if self.user_id is None:
            raise illegal_session()
        return self.user_id


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    needs_session: bool
    inline: bool = False  # short reads: run on the event loop, no threadpool hop


COMMANDS: dict[str, Command] = {}


def command(
    name: str, *, session: bool = True, inline: bool = False
) -> Callable[[Handler], Handler]:
    """Register a handler for `dp_command=name`; `session` means dp_session_id is required.

    `inline` runs the handler on the event loop instead of a worker thread: only for
    handlers that do a few short indexed reads (a threadpool hop costs more than they do).
    """

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise RuntimeError(f"Depositphotos command {name} registered twice")
        COMMANDS[name] = Command(name, handler, session, inline)
        return handler

    return register


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime(TIMESTAMP_FORMAT)


ENVELOPE_FIELDS = frozenset({"timestamp", "version", "type"})


def encode(value: Any) -> bytes:
    """JSON as every answer is sent (compact, UTF-8)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class Encoded(dict[str, Any]):
    """A handler's fields with their JSON text already made (a cached hot answer).

    Still the fields as a dict for any caller; the endpoint sends `encoded` (one JSON
    object, braces included, none of the envelope's keys) inside the envelope as is.
    """

    def __init__(self, fields: Mapping[str, Any], encoded: bytes) -> None:
        super().__init__(fields)
        self.encoded = encoded


def success_bytes(fields: Encoded, now: datetime | None = None) -> bytes:
    """The success envelope around pre-encoded fields."""
    head = encode({"timestamp": timestamp(now), "version": API_VERSION, "type": "success"})
    if fields.encoded.strip() == b"{}":
        return head
    return head[:-1] + b"," + fields.encoded.lstrip()[1:]


def success(fields: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The success envelope; a command's field never replaces an envelope field."""
    answer: dict[str, Any] = {
        "timestamp": timestamp(now),
        "version": API_VERSION,
        "type": "success",
    }
    answer.update((k, v) for k, v in fields.items() if k not in ENVELOPE_FIELDS)
    return answer


def failure(error: DpError, now: datetime | None = None) -> dict[str, Any]:
    return {
        "timestamp": timestamp(now),
        "version": API_VERSION,
        "type": "failure",
        "error": error.as_error(),
    }
