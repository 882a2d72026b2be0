"""photolist: challenges and tokens of the photo.list read-grant protocol

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stockhouse.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photolist_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_digest", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("session_name", sa.String(length=255), nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("created_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credential.id"],
            name=op.f("fk_photolist_challenge_credential_id_credential"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photolist_challenge")),
        sa.UniqueConstraint(
            "challenge_digest", name=op.f("uq_photolist_challenge_challenge_digest")
        ),
    )
    op.create_index(
        op.f("ix_photolist_challenge_credential_id"),
        "photolist_challenge",
        ["credential_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_photolist_challenge_expires_at"),
        "photolist_challenge",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "photolist_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("session_name", sa.String(length=255), nullable=False),
        sa.Column("challenge_ciphertext", sa.Text(), nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("salt", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credential.id"],
            name=op.f("fk_photolist_token_credential_id_credential"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photolist_token")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_photolist_token_token_digest")),
    )
    op.create_index(
        op.f("ix_photolist_token_credential_id"),
        "photolist_token",
        ["credential_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_photolist_token_last_used_at"),
        "photolist_token",
        ["last_used_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_photolist_token_last_used_at"), table_name="photolist_token")
    op.drop_index(op.f("ix_photolist_token_credential_id"), table_name="photolist_token")
    op.drop_table("photolist_token")
    op.drop_index(op.f("ix_photolist_challenge_expires_at"), table_name="photolist_challenge")
    op.drop_index(op.f("ix_photolist_challenge_credential_id"), table_name="photolist_challenge")
    op.drop_table("photolist_challenge")
