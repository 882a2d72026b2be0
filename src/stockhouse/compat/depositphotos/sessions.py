"""Depositphotos sessions: loginEnterprise, logout and renewSession (the SDK's keep-alive).

A session lasts `settings.session_ttl_s` (three hours, as the document says) and belongs
to the API key it was opened with. Only members of an enterprise group may log in.
"""

from __future__ import annotations

from typing import Any

from stockhouse.accounts import service as accounts
from stockhouse.compat.depositphotos import wire
from stockhouse.errors import AuthenticationFailed

MAX_LOGIN_CHARS = 254
MAX_PASSWORD_CHARS = 1024


@wire.command("loginEnterprise", session=False)
def login_enterprise(call: wire.Call) -> dict[str, Any]:
    """Open a session for a group member: `sessionid`, `userid` and the `apiKey` used."""
    login = call.params.text("dp_login_user", max_chars=MAX_LOGIN_CHARS) or ""
    password = call.params.text("dp_login_password", max_chars=MAX_PASSWORD_CHARS) or ""
    if not login.strip():
        raise wire.invalid_param("dp_login_user")
    if not password:
        raise wire.invalid_param("dp_login_password")
    runtime = call.runtime
    with runtime.db.session() as session:
        try:
            user = accounts.authenticate(session, login.strip(), password)
        except AuthenticationFailed as exc:
            raise wire.login_failed() from exc
        if accounts.membership_of(session, user) is None:
            raise wire.not_enterprise_member()
        credential = accounts.get_credential(session, _credential_id(call))
        issued = accounts.create_session(
            session, user, ttl_s=runtime.settings.session_ttl_s, credential=credential
        )
        return {"apiKey": call.api_key, "sessionid": issued.token, "userid": str(user.id)}


@wire.command("logout")
def logout(call: wire.Call) -> dict[str, Any]:
    """End the session; the id is refused from now on."""
    with call.runtime.db.session() as session:
        accounts.revoke_session(session, _token(call))
    return {"apiKey": call.api_key}


@wire.command("renewSession")
def renew_session(call: wire.Call) -> dict[str, Any]:
    """Extend the session by another `session_ttl_s` from now (same id)."""
    with call.runtime.db.session() as session:
        login = accounts.renew_session(
            session, _token(call), ttl_s=call.runtime.settings.session_ttl_s
        )
        return {"data": {"sessionid": _token(call), "userid": login.user_id}}


def _token(call: wire.Call) -> str:
    if call.session_token is None:
        raise wire.illegal_session()
    return call.session_token


def _credential_id(call: wire.Call) -> int:
    if call.credential_id is None:
        raise wire.illegal_api_key()
    return call.credential_id
