"""Delivering a job's result to the caller's callback URL, guarded against SSRF.

A callback URL is typed by a stranger, so it gets the rules of search-by-image fetching
(`stockhouse.search.fetch`): http or https only, every address the host resolves to must
be public unless the operator allowlists its network (`fetch_allowlist`), and the POST goes
to the address that was checked (no second DNS lookup). The URL is checked when the job is
asked for (so a refused URL is an error the caller sees at once) and again at each
delivery. Redirects are not followed: the receiver must answer 2xx itself.

A delivery that fails (no 2xx, a timeout, a refused address) is tried again with
exponential backoff: attempt n+1 waits `generation_callback_backoff_s * 2**(n-1)`, for
MAX_CALLBACK_ATTEMPTS attempts in all; then the job's callback is marked failed.

What is posted is chosen by the API the job was asked through: a compatible adapter
registers its payload format (`register_payload_format`), so the Depositphotos adapter
posts its own `imageGenerator.get` answer, and the core never knows that wire.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpx

from stockhouse.errors import InvalidParameter
from stockhouse.search.fetch import FetchRefused, check_url, parse_allowlist

if TYPE_CHECKING:
    from stockhouse.generation.service import GenerationView

log = logging.getLogger("stockhouse.generation")

MAX_CALLBACK_ATTEMPTS = 6
CALLBACK_TIMEOUT_S = 10.0
CALLBACK_CONNECT_TIMEOUT_S = 5.0
MAX_CALLBACK_URL_CHARS = 2048
MAX_ERROR_CHARS = 500
USER_AGENT = "Stockhouse image generator callback"
NATIVE_FORMAT = "native"

PayloadFormat = Callable[["GenerationView"], dict[str, Any]]
_FORMATS: dict[str, PayloadFormat] = {}
# Where a format is defined, so that a job worker can load it on first use.
FORMAT_MODULES: dict[str, str] = {"depositphotos": "stockhouse.compat.depositphotos.generator"}


class CallbackFailed(Exception):
    """One delivery attempt did not succeed; the message says why."""


def register_payload_format(name: str, render: PayloadFormat) -> None:
    """Make `render(view)` the body posted for jobs asked through the API `name`."""
    _FORMATS[name] = render


def payload_for(name: str, view: GenerationView) -> dict[str, Any]:
    """The body to post for a job of format `name` (the native format if unknown)."""
    if name not in _FORMATS and name in FORMAT_MODULES:
        importlib.import_module(FORMAT_MODULES[name])
    render = _FORMATS.get(name, native_payload)
    return render(view)


def native_payload(view: GenerationView) -> dict[str, Any]:
    return view.as_dict()


def check_callback_url(url: str, allowlist: Iterable[str]) -> str:
    """`url` if a callback may be posted to it; InvalidParameter("callback_url") if not."""
    if len(url) > MAX_CALLBACK_URL_CHARS:
        raise InvalidParameter(
            "callback_url", f"the callback URL is longer than {MAX_CALLBACK_URL_CHARS} characters"
        )
    try:
        check_url(url, parse_allowlist(allowlist))
    except FetchRefused as exc:
        raise InvalidParameter("callback_url", f"callback URL refused: {exc.message}") from None
    return url


def post_callback(url: str, payload: dict[str, Any], allowlist: Iterable[str]) -> int:
    """POST `payload` as JSON to `url` (checked again); the 2xx status, or CallbackFailed."""
    try:
        target = check_url(url, parse_allowlist(allowlist))
    except FetchRefused as exc:
        raise CallbackFailed(exc.message) from None
    headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
    }
    extensions = {"sni_hostname": target.server_name} if target.url.scheme == "https" else {}
    timeout = httpx.Timeout(CALLBACK_TIMEOUT_S, connect=CALLBACK_CONNECT_TIMEOUT_S)
    body = json.dumps(payload, ensure_ascii=False).encode()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(target.url, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        raise CallbackFailed(
            f"the callback URL could not be reached ({type(exc).__name__})"
        ) from None
    if not 200 <= response.status_code < 300:
        raise CallbackFailed(f"the callback URL answered HTTP {response.status_code}")
    return response.status_code


def backoff_s(base_s: float, attempt: int) -> float:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    return float(base_s * 2 ** (attempt - 1))
