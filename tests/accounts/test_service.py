"""Account services: users, passwords, groups, credentials and sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Credential, GroupRole, PaymentMode, Role
from stockhouse.accounts.tokens import SecretBox
from stockhouse.db.base import utcnow
from stockhouse.db.engine import Database
from stockhouse.errors import AuthenticationFailed, Conflict, InvalidParameter, NotFound

BOX = SecretBox("test-secret-key")


def test_password_is_stored_as_an_argon2id_hash(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password="correct horse")
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash


def test_authenticate_accepts_the_right_password(db: Database) -> None:
    with db.session() as session:
        accounts.create_user(session, username="ann", password="correct horse")
    with db.session() as session:
        assert accounts.authenticate(session, "ann", "correct horse").username == "ann"


@pytest.mark.parametrize(
    ("username", "password"),
    [("ann", "wrong password"), ("nobody", "correct horse"), ("ann", "x" * 5000)],
)
def test_authenticate_fails_with_one_message_for_every_reason(
    db: Database, username: str, password: str
) -> None:
    with db.session() as session:
        accounts.create_user(session, username="ann", password="correct horse")
    with db.session() as session, pytest.raises(AuthenticationFailed) as caught:
        accounts.authenticate(session, username, password)
    assert caught.value.message == "wrong username or password"


def test_disabled_user_cannot_authenticate(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password="correct horse")
        accounts.set_active(session, user, False)
    with db.session() as session, pytest.raises(AuthenticationFailed):
        accounts.authenticate(session, "ann", "correct horse")


def test_usernames_are_unique(db: Database) -> None:
    with db.session() as session:
        accounts.create_user(session, username="ann", password="correct horse")
    with db.session() as session, pytest.raises(Conflict):
        accounts.create_user(session, username="ann", password="another one")


@pytest.mark.parametrize(
    "username",
    ["", "../etc/passwd", "x' OR 1=1--", "ünïcode", "a" * 65, "has space", "nul\x00byte", "-lead"],
)
def test_hostile_usernames_are_refused(db: Database, username: str) -> None:
    with db.session() as session, pytest.raises(InvalidParameter) as caught:
        accounts.create_user(session, username=username, password="correct horse")
    assert caught.value.name == "username"


def test_short_passwords_are_refused(db: Database) -> None:
    with db.session() as session, pytest.raises(InvalidParameter) as caught:
        accounts.create_user(session, username="ann", password="short")
    assert caught.value.name == "password"


def test_roles_are_replaced_by_set_roles(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None, roles=[Role.BUYER])
        accounts.set_roles(session, user, [Role.CONTRIBUTOR, Role.REVIEWER])
    with db.read_session() as session:
        assert accounts.get_user_by_username(session, "ann").role_names == {
            Role.CONTRIBUTOR,
            Role.REVIEWER,
        }


def test_a_user_belongs_to_at_most_one_group(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        first = accounts.create_group(session, name="First")
        second = accounts.create_group(session, name="Second", payment_mode=PaymentMode.POSTPAID)
        accounts.add_member(session, first, user, GroupRole.MEMBER)
        with pytest.raises(Conflict):
            accounts.add_member(session, second, user)


def test_adding_a_member_again_changes_their_role(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        group = accounts.create_group(session, name="First")
        accounts.add_member(session, group, user, GroupRole.MEMBER)
        accounts.add_member(session, group, user, GroupRole.ADMIN)
    with db.read_session() as session:
        member = accounts.membership_of(session, accounts.get_user_by_username(session, "ann"))
        assert member is not None
        assert (member.group.name, member.role) == ("First", GroupRole.ADMIN)


def test_api_key_is_stored_only_as_a_digest(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_credential(session, BOX, user=user, api=ApiKind.NATIVE)
    with db.engine.connect() as conn:
        dump = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM credential")) for v in row
        )
    assert issued.key not in dump
    assert issued.key[:12] in dump  # the display prefix


def test_api_key_resolves_to_its_owner(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_credential(session, BOX, user=user, api=ApiKind.POND5)
    with db.session() as session:
        credential = accounts.resolve_credential(session, issued.key, ApiKind.POND5)
        assert credential.user.username == "ann"
        assert credential.last_used_at is not None


def test_api_key_for_another_protocol_is_refused(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_credential(session, BOX, user=user, api=ApiKind.POND5)
    with db.session() as session, pytest.raises(AuthenticationFailed):
        accounts.resolve_credential(session, issued.key, ApiKind.DEPOSITPHOTOS)


def test_signing_secret_is_encrypted_and_recoverable(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_credential(
            session, BOX, user=user, api=ApiKind.CLIPARTO, with_secret=True
        )
    assert issued.secret
    with db.read_session() as session:
        credential = session.scalars(select(Credential)).one()
        assert issued.secret not in (credential.secret_ciphertext or "")
        assert accounts.credential_secret(BOX, credential) == issued.secret
        with pytest.raises(ValueError):
            accounts.credential_secret(SecretBox("another data dir"), credential)


def test_disabled_api_key_is_refused_and_ends_its_sessions(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_credential(session, BOX, user=user, api=ApiKind.DEPOSITPHOTOS)
        login = accounts.create_session(session, user, ttl_s=3600, credential=issued.credential)
        accounts.disable_credential(session, issued.credential)
    with db.session() as session:
        with pytest.raises(AuthenticationFailed, match="disabled"):
            accounts.resolve_credential(session, issued.key)
        with pytest.raises(AuthenticationFailed, match="logout"):
            accounts.resolve_session(session, login.token)


def test_unknown_grant_is_refused(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        with pytest.raises(InvalidParameter):
            accounts.create_credential(session, BOX, user=user, api=ApiKind.NATIVE, grants=["root"])


def test_session_expires_after_its_ttl(db: Database) -> None:
    start = utcnow()
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_session(session, user, ttl_s=3 * 3600, now=start)
    with db.session() as session:
        assert accounts.resolve_session(session, issued.token, now=start + timedelta(hours=2))
        with pytest.raises(AuthenticationFailed, match="expired"):
            accounts.resolve_session(session, issued.token, now=start + timedelta(hours=3))


def test_renewing_a_session_moves_its_expiry(db: Database) -> None:
    start = utcnow()
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_session(session, user, ttl_s=3600, now=start)
        accounts.renew_session(session, issued.token, ttl_s=3600, now=start + timedelta(minutes=50))
    with db.session() as session:
        login = accounts.resolve_session(session, issued.token, now=start + timedelta(minutes=100))
        assert login.expires_at == start + timedelta(minutes=110)


def test_logout_ends_the_session(db: Database) -> None:
    with db.session() as session:
        user = accounts.create_user(session, username="ann", password=None)
        issued = accounts.create_session(session, user, ttl_s=3600)
        accounts.revoke_session(session, issued.token)
    with db.session() as session, pytest.raises(AuthenticationFailed, match="logout"):
        accounts.resolve_session(session, issued.token)


def test_unknown_session_token_is_refused(db: Database) -> None:
    with db.session() as session, pytest.raises(AuthenticationFailed, match="unknown"):
        accounts.resolve_session(session, "shs_made-up")


def test_missing_user_is_not_found(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFound):
        accounts.get_user(session, 987654)
