"""The page machinery every web view uses: `@page` and the `Web` context it passes.

A view is `def view(request, web) -> Response` (or `async def` with `inline=True` for
short reads on a hot path, such as search). `@page`:

- reads who is browsing (session cookie, anonymous id, flash messages);
- on POST, reads the form and refuses it with 403 unless it carries the CSRF token;
- sends visitors who must log in to /login?next=...; refuses missing roles with 403;
- turns domain errors into an error page with their status (NotFound 404, ...);
- sets the cookies the answer needs (anonymous id, cleared flash) and Server-Timing.

Views stay thin: they parse the request, call core services, and `web.render(...)`.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, cast
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stockhouse.accounts.models import Role
from stockhouse.errors import AuthenticationFailed, DomainError, InvalidParameter
from stockhouse.runtime import Runtime
from stockhouse.web import session as cookies
from stockhouse.web.session import CSRF_FIELD, CSRF_HEADER, Flash, Visitor, WebUser
from stockhouse.web.templating import render_template

log = logging.getLogger("stockhouse.web")

MAX_FORM_FIELDS = 200
MAX_FORM_FIELD_LENGTH = 10_000
MAX_FORM_FILE_BYTES = 25 * 1024 * 1024  # a form with files (`page(files=...)`): body limit


@dataclass
class Web:
    """What a view gets besides the request: the runtime, the visitor, the form, helpers."""

    request: Request
    runtime: Runtime
    visitor: Visitor
    form: FormData | None = None
    pending_flashes: list[Flash] = field(default_factory=list)

    @property
    def user(self) -> WebUser | None:
        return self.visitor.user

    def require_user(self) -> WebUser:
        if self.visitor.user is None:
            raise AuthenticationFailed("log in first")
        return self.visitor.user

    def field(self, name: str, default: str = "") -> str:
        """A form field's text (POST), cut to a sane length."""
        if self.form is None:
            return default
        value = self.form.get(name)
        return value[:MAX_FORM_FIELD_LENGTH] if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v[:MAX_FORM_FIELD_LENGTH] for v in self.form.getlist(name) if isinstance(v, str)]

    def upload(self, name: str) -> UploadFile | None:
        """A file part of the form (views declared with `page(files=...)`), if one was sent."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) and value.filename else None

    def int_field(self, name: str, default: int | None = None) -> int | None:
        text = self.field(name).strip()
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            raise InvalidParameter(name, f"{name} must be a whole number") from None

    def flash(self, text: str, level: str = "info") -> None:
        """A message for the next page shown (after a redirect)."""
        self.pending_flashes.append(Flash(level, text))

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render a template inside the base layout with the common context."""
        html = render_template(template, self.common_context() | context)
        return HTMLResponse(html, status_code=status_code)

    def common_context(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "user": self.user,
            "csrf_token": cookies.csrf_token(self.runtime, self.visitor),
            "flashes": [*self.visitor.flashes, *self.pending_flashes],
            "query_text": self.request.query_params.get("q", ""),
            "current_path": self.request.url.path,
        }

    def redirect(self, url: str, message: str | None = None, level: str = "success") -> Response:
        """303 to a local URL (POST-redirect-GET), optionally with a flash message."""
        if message:
            self.flash(message, level)
        return RedirectResponse(safe_local_url(url), status_code=303)


def safe_local_url(url: str, fallback: str = "/") -> str:
    """`url` if it is a path on this site, else `fallback` (no open redirects)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return fallback
    if "\\" in url or any(ord(c) < 32 for c in url):
        return fallback
    return url


View = Callable[[Request, Web], Response] | Callable[[Request, Web], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def error_page(web: Web, status: int, title: str, message: str) -> HTMLResponse:
    return web.render("error.html", status_code=status, title=title, message=message)


async def _read_form(request: Request, max_files: int = 0) -> FormData:
    if max_files:
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_FORM_FILE_BYTES:
            raise ValueError("a form with files needs a Content-Length within the limit")
    return await request.form(max_files=max_files, max_fields=MAX_FORM_FIELDS)


def page(
    *,
    login: bool = False,
    roles: tuple[Role, ...] = (),
    inline: bool = False,
    files: int = 0,
) -> Callable[[View], Endpoint]:
    """Make a view a Starlette endpoint (see the module docstring).

    `login`: visitors must be logged in; `roles`: and hold one of these roles;
    `inline`: run an `async` view on the event loop (short reads only);
    `files`: how many file parts a POST form may carry (`web.upload(name)`), at most
    MAX_FORM_FILE_BYTES in all.
    """

    def decorate(view: View) -> Endpoint:
        is_async = inspect.iscoroutinefunction(view)

        @wraps(view)
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            runtime: Runtime = request.app.state.runtime
            visitor = cookies.visitor_of(request, runtime)
            web = Web(request, runtime, visitor)
            response = await _answer(request, web, view, is_async, login, roles, inline, files)
            shown = isinstance(response, HTMLResponse)
            cookies.finish(response, visitor, flash_shown=shown)
            if web.pending_flashes and not shown:
                cookies.set_flash(response, runtime, web.pending_flashes, visitor.secure)
            elapsed_ms = (time.perf_counter() - started) * 1000
            response.headers["server-timing"] = f"app;dur={elapsed_ms:.1f}"
            response.headers.setdefault("cache-control", "private, no-store")
            response.headers.setdefault("x-content-type-options", "nosniff")
            response.headers.setdefault("x-frame-options", "DENY")
            response.headers.setdefault("referrer-policy", "same-origin")
            return response

        return endpoint

    return decorate


async def _answer(
    request: Request,
    web: Web,
    view: View,
    is_async: bool,
    login: bool,
    roles: tuple[Role, ...],
    inline: bool,
    files: int = 0,
) -> Response:
    if request.method == "POST":
        try:
            web.form = await _read_form(request, files)
        except Exception:  # a malformed or oversized body is the client's fault
            return error_page(web, 400, "Bad request", "The form could not be read.")
        sent = web.field(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not cookies.csrf_valid(web.runtime, web.visitor, sent):
            return error_page(
                web, 403, "Form expired", "This form is out of date. Reload the page and retry."
            )
    if (login or roles) and web.user is None:
        return _login_redirect(request)
    if roles and web.user is not None and not any(web.user.has_role(r) for r in roles):
        return error_page(web, 403, "Not allowed", "Your account cannot open this page.")
    try:
        if is_async:
            result = view(request, web)
            assert inspect.isawaitable(result)
            return await result
        sync_view = cast(Callable[[Request, Web], Response], view)
        if inline:
            return sync_view(request, web)
        return await run_in_threadpool(sync_view, request, web)
    except AuthenticationFailed:
        return _login_redirect(request)
    except DomainError as exc:
        return _domain_error(web, exc)


_TITLES: Mapping[int, str] = {
    400: "Please check your input",
    402: "Not enough funds",
    403: "Not allowed",
    404: "Not found",
    409: "Cannot do that now",
    429: "Slow down",
}


def _domain_error(web: Web, exc: DomainError) -> Response:
    """A refused action after a form goes back where it came from with the reason;
    anything else is an error page with the error's status."""
    status = exc.http_status
    referer = web.request.headers.get("referer", "")
    if web.request.method == "POST" and status != 404:
        parts = urlsplit(referer)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc == web.request.url.netloc and back.startswith("/"):
            return web.redirect(back, exc.message, "error")
    return error_page(web, status, _TITLES.get(status, "Something went wrong"), exc.message)
