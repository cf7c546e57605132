"""a work order's call whose end staffing inferred, not heard (issue 16)

``work_orders.call_end_inferred``: the hang-up happened while staffing's AMI line was down;
the talk or waiting time it reported runs to the reconciliation, an upper bound.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("call_end_inferred", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("call_end_inferred")
