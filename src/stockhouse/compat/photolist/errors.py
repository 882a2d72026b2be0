"""The error answers of the photo.list API: a short string code and a message.

Codes and message texts follow the Pixelpost "Ultralite 2" API exceptions (wire-notes
section 4); docs/compat/photolist.md lists every one.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ECHO_CHARS = 60  # a value quoted back in a message is cut to this length


class ApiError(Exception):
    """An answer `{"status": "error", "code": ..., "message": ...}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def echo(value: object) -> str:
    """A caller's value as it may appear inside a message: short, one line."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= MAX_ECHO_CHARS else text[:MAX_ECHO_CHARS] + "..."


def no_request() -> ApiError:
    return ApiError("no_request", "Your request is empty.")


def missing_envelope_field(field: str) -> ApiError:
    code = "no_method" if field == "method" else "no_request"
    return ApiError(code, f"The request need to provide a `{field}` field.")


def bad_encoding(what: str) -> ApiError:
    return ApiError("bad_encoding", f"The {what} request contains invalid formatting.")


def empty_method() -> ApiError:
    return ApiError("empty_method", "The method field is empty.")


def bad_method(method: object) -> ApiError:
    return ApiError("bad_method", f"The requested method '{echo(method)}' is unsupported.")


def too_large(limit: int) -> ApiError:
    return ApiError("bad_request", f"The request is larger than {limit} bytes.")


def field_required(method: str, field: str) -> ApiError:
    return ApiError("bad_request", f"`{method}` method requires a `{field}` field.")


def field_empty(field: str) -> ApiError:
    return ApiError("bad_request", f"The field `{field}` is empty.")


def field_not_valid(field: str, more: str = "") -> ApiError:
    if more:
        return ApiError("bad_data", f"The specified `{field}` is not valid : {more}.")
    return ApiError("bad_data", f"The specified `{field}` is not valid.")


def field_not_exists(field: str, value: object) -> ApiError:
    return ApiError("bad_data", f"The specified `{field}` with value `{echo(value)}` not exists.")


def field_not_in_list(field: str, allowed: Iterable[str]) -> ApiError:
    values = " | ".join(allowed)
    return ApiError("bad_data", f"Field `{field}` need to be one of this value: {values}.")


def field_out_of_bounds(field: str, low: int, high: int) -> ApiError:
    return ApiError("bad_data", f"Field `{field}` need to be a number between {low} and {high}.")


def ungranted(method: str) -> ApiError:
    return ApiError(
        "unauthorized", f"You do not have the necessary rights to use the `{method}` method."
    )


def bad_token() -> ApiError:
    return ApiError("bad_token", "The token is not valid.")


def old_token() -> ApiError:
    return ApiError("old_token", "The token has expired.")


def bad_hmac() -> ApiError:
    return ApiError("bad_hmac", "The hmac is not valid.")


def unknown() -> ApiError:
    return ApiError("unknown", "Unknown error.")
