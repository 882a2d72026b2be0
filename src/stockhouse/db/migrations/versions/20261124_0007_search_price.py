"""search price: the "from" price column of search_document (STOCKHOUSE_SEARCH=postgres)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 12:20:00

PostgreSQL only, like 0003 which created the table: each item's "from" price under the
default price list (commerce.prices.from_prices, minor units; 0 when not for sale), what
the price sort orders by. Existing rows get 0 until the next `stockhouse reindex`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_document ADD COLUMN price bigint NOT NULL DEFAULT 0")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_document DROP COLUMN price")
