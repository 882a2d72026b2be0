"""Demo accounts: a user and a credential for every API, as demo-credentials.json lists."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, GroupRole, PaymentMode, Role, User
from stockhouse.accounts.tokens import SecretBox
from stockhouse.errors import Conflict

CREDENTIALS_FILE_NAME = "demo-credentials.json"
CLIPARTO_DEMO_CONTRIBUTOR_ID = 176050  # the user id of seed 000's worked example
DATA_DIR_MARKERS = ("stockhouse.db", "secret_key", "blobs", CREDENTIALS_FILE_NAME)


def _password() -> str:
    return secrets.token_urlsafe(12)


def reset_data_dir(data_dir: Path) -> None:
    """Empty a data dir, refusing directories that do not look like Stockhouse's."""
    if not data_dir.exists():
        return
    entries = list(data_dir.iterdir())
    if entries and not any((data_dir / marker).exists() for marker in DATA_DIR_MARKERS):
        raise Conflict(f"{data_dir} does not look like a Stockhouse data dir; not erasing it")
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _user(session: Session, username: str, roles: list[Role], **extra: Any) -> tuple[User, str]:
    password = _password()
    user = accounts.create_user(
        session,
        username=username,
        password=password,
        email=f"{username}@demo.stockhouse.test",
        roles=roles,
        **extra,
    )
    return user, password


def _key(
    session: Session, box: SecretBox, user: User, api: ApiKind, **extra: Any
) -> tuple[str, str | None]:
    issued = accounts.create_credential(
        session, box, user=user, api=api, name=f"demo {api.value}", **extra
    )
    return issued.key, issued.secret


def create_demo_accounts(session: Session, box: SecretBox, base_url: str) -> dict[str, Any]:
    """Every demo account and credential; returns the demo-credentials.json document."""
    admin, admin_pw = _user(session, "admin", [Role.ADMIN, Role.REVIEWER])
    contributor, contributor_pw = _user(
        session,
        "contributor",
        [Role.CONTRIBUTOR],
        user_id=CLIPARTO_DEMO_CONTRIBUTOR_ID,
        first_name="Ada",
        last_name="Lens",
        country="DE",
        timezone="Europe/Berlin",
    )
    _, cliparto_code = _key(session, box, contributor, ApiKind.CLIPARTO, with_secret=True)

    prepaid = accounts.create_group(
        session, name="Acme Media (prepaid)", payment_mode=PaymentMode.PREPAID
    )
    postpaid = accounts.create_group(
        session, name="Globex Publishing (postpaid)", payment_mode=PaymentMode.POSTPAID
    )
    dp_users = []
    for login, group, role in (
        ("dp-admin", prepaid, GroupRole.ADMIN),
        ("dp-member", prepaid, GroupRole.MEMBER),
        ("dp-postpaid", postpaid, GroupRole.ADMIN),
    ):
        user, password = _user(session, login, [Role.BUYER], country="US")
        accounts.add_member(session, group, user, role)
        dp_users.append(
            {
                "login": login,
                "password": password,
                "group": group.payment_mode.value,
                "role": role.value,
            }
        )
    dp_key, _ = _key(session, box, admin, ApiKind.DEPOSITPHOTOS)

    pond5_user, pond5_pw = _user(session, "pond5-buyer", [Role.BUYER], country="US")
    pond5_key, pond5_secret = _key(
        session,
        box,
        pond5_user,
        ApiKind.POND5,
        with_secret=True,
        key=f"{pond5_user.id}_{secrets.randbelow(10**9)}",
    )
    gallery, _ = _user(session, "gallery", [Role.BUYER])
    photolist_public, photolist_private = _key(
        session, box, gallery, ApiKind.PHOTOLIST, with_secret=True, grants=["read"]
    )
    no_grant_public, no_grant_private = _key(
        session, box, gallery, ApiKind.PHOTOLIST, with_secret=True, grants=[]
    )
    cms, _ = _user(session, "cms", [Role.ADMIN])
    images_token, _ = _key(session, box, cms, ApiKind.IMAGES_V2, grants=["read"])
    images_no_access, _ = _key(session, box, gallery, ApiKind.IMAGES_V2, grants=[])

    return {
        "base_url": base_url,
        "admin": {"username": admin.username, "password": admin_pw},
        "contributor": {"username": contributor.username, "password": contributor_pw},
        "cliparto": {"id": str(contributor.id), "api_code": cliparto_code},
        "depositphotos": {"api_key": dp_key, "users": dp_users},
        "pond5": {
            "api_key": pond5_key,
            "api_secret": pond5_secret,
            "username": pond5_user.username,
            "password": pond5_pw,
        },
        "photolist": {
            "public_key": photolist_public,
            "private_key": photolist_private,
            "no_grant_public_key": no_grant_public,
            "no_grant_private_key": no_grant_private,
        },
        "images_v2": {"token": images_token, "token_without_access": images_no_access},
    }
