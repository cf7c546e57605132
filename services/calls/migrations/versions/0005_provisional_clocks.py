"""provisional deadline clocks (a year without its published holiday arrangement), one active
outage per area as a constraint

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("lifted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("work_order_clocks") as batch:
        batch.add_column(
            sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_work_order_clocks_provisional", ["provisional"])
    op.create_index(
        "uq_outages_active_area", "outages", ["area"], unique=True,
        postgresql_where=ACTIVE, sqlite_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_outages_active_area", table_name="outages")
    with op.batch_alter_table("work_order_clocks") as batch:
        batch.drop_index("ix_work_order_clocks_provisional")
        batch.drop_column("provisional")
