"""generation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stockhouse.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "generation_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("aspect_ratio", sa.String(length=8), nullable=False),
        sa.Column("medium", sa.String(length=16), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "processing",
                "completed",
                "failed",
                name="generation_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "purchase_status",
            sa.Enum(
                "deferred",
                "paid",
                name="generation_purchase_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("callback_url", sa.String(length=2048), nullable=True),
        sa.Column("callback_format", sa.String(length=32), nullable=False),
        sa.Column(
            "callback_state",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="generation_callback_state",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("callback_attempts", sa.Integer(), nullable=False),
        sa.Column("callback_error", sa.Text(), nullable=True),
        sa.Column("created_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", stockhouse.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_generation_job_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_job")),
        sa.UniqueConstraint("uuid", name=op.f("uq_generation_job_uuid")),
    )
    with op.batch_alter_table("generation_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_generation_job_user_created", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "generated_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("original_blob", sa.String(length=64), nullable=True),
        sa.Column("preview_blob", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column("media_item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["generation_job.id"],
            name=op.f("fk_generated_item_job_id_generation_job"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["media_item_id"],
            ["media_item.id"],
            name=op.f("fk_generated_item_media_item_id_media_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["upload.id"],
            name=op.f("fk_generated_item_upload_id_upload"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generated_item")),
        sa.UniqueConstraint("job_id", "position", name=op.f("uq_generated_item_job_id_position")),
        sa.UniqueConstraint("uuid", name=op.f("uq_generated_item_uuid")),
    )
    with op.batch_alter_table("generated_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_generated_item_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_generated_item_media_item_id"), ["media_item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("generated_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generated_item_media_item_id"))
        batch_op.drop_index(batch_op.f("ix_generated_item_job_id"))
    op.drop_table("generated_item")
    with op.batch_alter_table("generation_job", schema=None) as batch_op:
        batch_op.drop_index("ix_generation_job_user_created")
    op.drop_table("generation_job")
