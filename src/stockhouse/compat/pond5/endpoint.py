"""The Pond5 envelope: POST form field `api` holding a JSON or an XML request.

JSON: `{"api_key", "ver", "commands_json": "<JSON array as a STRING>", "commands_hash",
"https"?}`; XML: `<pond5_api_request>` with `api_key`, `ver`, `commands_xml` (an escaped
`<commands><item>…</item></commands>` document) and `commands_hash`. The hash is
md5(commands text + the key's secret + "dragspel") over the commands text exactly as
received, never a re-serialisation. The commands run in order, each in its own database
transaction, and are answered in one `{"e": false, "commands": [...]}` (or its XML form),
one slot per command. A failing command answers `{"e": true, "code": N, "msg": "..."}` in
its own slot; a failing envelope answers `{"e": true, "code": N, "msg": "...",
"commands": []}`. Every answer is HTTP 200, as the clients only read the body.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import md5
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Credential
from stockhouse.compat.pond5 import xmlwire
from stockhouse.compat.pond5.wire import (
    COMMANDS,
    Args,
    Call,
    Code,
    Pond5Error,
    Result,
    from_domain,
)
from stockhouse.compat.values import to_int
from stockhouse.errors import AuthenticationFailed, DomainError, NotFound
from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.compat.pond5")

API_FIELD = "api"
API_VERSION = 1
HASH_SALT = "dragspel"
MAX_BODY_BYTES = 1_000_000
MAX_FORM_FIELDS = 20
MAX_COMMANDS = 50
MAX_KEY_CHARS = 200
MAX_CREDENTIAL_CHARS = 200
XML_MEDIA_TYPE = "text/xml; charset=utf-8"


class EnvelopeError(Exception):
    """A request that cannot be run at all: `{"e": true, "code", "msg", "commands": []}`."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Envelope:
    """A parsed request: the key, the commands text as received and its hash, the commands."""

    api_key: str
    commands_text: str
    commands_hash: str
    commands: list[dict[str, Any]]
    xml: bool
    https: bool = False
    outer: dict[str, Any] = field(default_factory=dict)  # outer cx / cm


# -- reading the request ----------------------------------------------------------------


async def _read_body(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise EnvelopeError(Code.GENERAL, "the request is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise EnvelopeError(Code.GENERAL, "the request is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _form_value(text: str) -> str | None:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise EnvelopeError(Code.GENERAL, "the form has too many fields") from exc
    return next((value for name, value in pairs if name == API_FIELD), None)


async def api_value(request: Request) -> str:
    """The `api` field: from the form body (POST) or the query string."""
    body = await _read_body(request) if request.method == "POST" else b""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(Code.GENERAL, "the request is not UTF-8") from exc
    value = _form_value(text) if text else None
    if value is None:
        value = request.query_params.get(API_FIELD)
    if value is None or not value.strip():
        raise EnvelopeError(Code.MISSING_ARGUMENTS, "the form field api is missing")
    return value


def _text_field(values: Mapping[str, Any], name: str, limit: int | None = None) -> str:
    value = values.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise EnvelopeError(Code.MISSING_ARGUMENTS, f"the envelope has no {name}")
    if limit is not None and len(value) > limit:
        raise EnvelopeError(Code.GENERAL, f"{name} is too long")
    return value


def _check_version(value: Any) -> None:
    if value is not None and value != "" and to_int(value) != API_VERSION:
        raise EnvelopeError(Code.GENERAL, f"ver must be {API_VERSION}")


def _commands_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise EnvelopeError(Code.GENERAL, "the commands must be a list of command objects")
    if not value:
        raise EnvelopeError(Code.MISSING_ARGUMENTS, "the request holds no command")
    if len(value) > MAX_COMMANDS:
        raise EnvelopeError(Code.GENERAL, f"at most {MAX_COMMANDS} commands per request")
    return value


def _outer_credentials(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in ("cx", "cm") if name in values}


def parse_json(text: str) -> Envelope:
    """The JSON envelope; `commands_json` stays the string received (it is what is hashed)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError(Code.GENERAL, "the api field is not valid JSON") from exc
    if not isinstance(document, dict):
        raise EnvelopeError(Code.GENERAL, "the api field must hold a JSON object")
    _check_version(document.get("ver"))
    commands_text = _text_field(document, "commands_json")
    try:
        commands = json.loads(commands_text)
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError(Code.GENERAL, "commands_json is not valid JSON") from exc
    https = document.get("https")
    return Envelope(
        api_key=_text_field(document, "api_key", MAX_KEY_CHARS),
        commands_text=commands_text,
        commands_hash=_text_field(document, "commands_hash", 64),
        commands=_commands_list(commands),
        xml=False,
        https=https is True or str(https).lower() in ("1", "true"),
        outer=_outer_credentials(document),
    )


def parse_xml(text: str) -> Envelope:
    """The XML envelope; the hash covers commands_xml's text content as received."""
    try:
        root = xmlwire.parse(text)
        if root.tag != "pond5_api_request":
            raise EnvelopeError(Code.GENERAL, "the XML request must be <pond5_api_request>")
        fields = {
            name: xmlwire.child_text(root, name)
            for name in ("api_key", "ver", "commands_xml", "commands_hash", "https", "cx", "cm")
        }
        _check_version(fields["ver"])
        commands_text = _text_field(fields, "commands_xml")
        commands_root = xmlwire.parse(commands_text)
        commands = _commands_list(xmlwire.to_value(commands_root))
    except xmlwire.XmlRefused as exc:
        raise EnvelopeError(Code.GENERAL, str(exc)) from exc
    return Envelope(
        api_key=_text_field(fields, "api_key", MAX_KEY_CHARS),
        commands_text=commands_text,
        commands_hash=_text_field(fields, "commands_hash", 64),
        commands=commands,
        xml=True,
        https=(fields["https"] or "").strip().lower() in ("1", "true"),
        outer={k: v for k, v in fields.items() if k in ("cx", "cm") and v},
    )


def parse_envelope(text: str) -> Envelope:
    return parse_xml(text) if text.lstrip().startswith("<") else parse_json(text)


# -- authenticating ---------------------------------------------------------------------


def expected_hash(commands_text: str, secret: str) -> str:
    data = (commands_text + secret + HASH_SALT).encode("utf-8", "surrogatepass")
    return md5(data, usedforsecurity=False).hexdigest()


def _credential(session: Session, runtime: Runtime, envelope: Envelope) -> Credential:
    """The envelope's credential, when the key is known and the hash is right."""
    if not envelope.api_key.isprintable():
        raise EnvelopeError(Code.KEY_NOT_ALLOWED, "unknown api_key")
    try:
        credential = accounts.resolve_credential(session, envelope.api_key, ApiKind.POND5)
        secret = accounts.credential_secret(runtime.secrets, credential)
    except (AuthenticationFailed, NotFound) as exc:
        raise EnvelopeError(Code.KEY_NOT_ALLOWED, "unknown api_key") from exc
    wanted = expected_hash(envelope.commands_text, secret)
    given = envelope.commands_hash.strip().lower()
    if not given.isascii() or not hmac.compare_digest(wanted, given):
        raise EnvelopeError(Code.KEY_NOT_ALLOWED, "commands_hash does not match")
    return credential


def _credential_text(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_CREDENTIAL_CHARS:
        return None
    # cx is a number and cm URL-safe base64: anything else (NUL, non-ASCII) is no login.
    return value if value.isascii() and value.isprintable() else None


def resolve_login(session: Session, credential_id: int, cx: Any, cm: Any) -> tuple[int, str] | None:
    """The user and session token of a live cx/cm pair made under this key, else None.

    cx is the login session's id and cm its token; both must match, and the session
    must have been made by `login` with the same API key.
    """
    session_id, token = _credential_text(cx), _credential_text(cm)
    if session_id is None or token is None:
        return None
    try:
        login = accounts.resolve_session(session, token)
    except AuthenticationFailed:
        return None
    if str(login.id) != session_id or login.credential_id != credential_id:
        return None
    return login.user_id, token


# -- running ----------------------------------------------------------------------------


def error_slot(error: Pond5Error) -> dict[str, Any]:
    return {"e": True, "code": int(error.code), "msg": error.message, **error.extra}


def run_command(
    runtime: Runtime, base: Call, values: dict[str, Any], outer: Mapping[str, Any]
) -> Result:
    """One command's slot: its result, or its error object."""
    name = values.get("command")
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        shown = name[:40] if isinstance(name, str) else ""
        return error_slot(Pond5Error(Code.GENERAL, f"Unknown command {shown!r}"))
    call = Call(
        runtime=runtime,
        args=Args(values),
        base_url=base.base_url,
        credential_id=base.credential_id,
        key_owner_id=base.key_owner_id,
        https=base.https,
    )
    cx, cm = values.get("cx", outer.get("cx")), values.get("cm", outer.get("cm"))
    try:
        if cx is not None or cm is not None:
            with runtime.db.read_session() as session:
                found = resolve_login(session, call.credential_id, cx, cm)
            if found is not None:
                call.user_id, call.session_token = found
        if spec.needs_login:
            call.require_user()
        return spec.handler(call)
    except Pond5Error as exc:
        return error_slot(exc)
    except DomainError as exc:
        return error_slot(from_domain(exc))
    except Exception:
        log.exception("Pond5 command %s failed", spec.name)
        return error_slot(Pond5Error(Code.GENERAL))


def run_envelope(runtime: Runtime, envelope: Envelope, base_url: str) -> list[Result]:
    """Authenticate the envelope, then run its commands in order."""
    with runtime.db.session() as session:
        credential = _credential(session, runtime, envelope)
        base = Call(
            runtime=runtime,
            args=Args({}),
            base_url=base_url,
            credential_id=credential.id,
            key_owner_id=credential.user_id,
            https=envelope.https,
        )
    return [run_command(runtime, base, values, envelope.outer) for values in envelope.commands]


# -- answering --------------------------------------------------------------------------


class Pond5JSONResponse(JSONResponse):
    """UTF-8 JSON; text that UTF-8 cannot carry (a lone surrogate a core message quoted)
    is sent \\u-escaped instead of failing the whole answer."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, separators=(",", ":")).encode("ascii")


def answer(document: dict[str, Any], xml: bool) -> Response:
    if xml:
        return Response(xmlwire.render(document), media_type=XML_MEDIA_TYPE)
    return Pond5JSONResponse(document)


def envelope_failure(error: EnvelopeError, xml: bool) -> Response:
    return answer({"e": True, "code": int(error.code), "msg": error.message, "commands": []}, xml)


def base_url(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    configured = runtime.settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


async def dispatch(request: Request) -> Response:
    """Answer one Pond5 request (always HTTP 200, JSON or XML like the request)."""
    runtime: Runtime = request.app.state.runtime
    xml = False
    try:
        text = await api_value(request)
        xml = text.lstrip().startswith("<")
        envelope = parse_envelope(text)
        slots = await asyncio.to_thread(run_envelope, runtime, envelope, base_url(request))
    except EnvelopeError as exc:
        return envelope_failure(exc, xml)
    return answer({"e": False, "commands": slots}, xml)


def pond5_routes(prefix: str = "/pond5") -> list[BaseRoute]:
    """The API at `prefix/` (with or without `?page=api`), and userinfo's avatar files
    (before the media routes, which serve the rest of icon_base)."""
    from stockhouse.compat.pond5.accounts import AVATAR_ROUTE, serve_avatar

    return [
        Route(f"{prefix}/", dispatch, methods=["GET", "POST"]),
        Route(AVATAR_ROUTE, serve_avatar, methods=["GET", "HEAD"]),
    ]
