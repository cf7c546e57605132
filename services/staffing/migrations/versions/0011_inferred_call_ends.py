"""calls whose hang-up was inferred at an AMI reconciliation, not heard (issue 16)

``agent_calls.end_inferred``: the call ended while staffing's manager line was down; its end
time is the reconciliation's, an upper bound.

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
    with op.batch_alter_table("agent_calls") as batch:
        batch.add_column(sa.Column("end_inferred", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("agent_calls") as batch:
        batch.drop_column("end_inferred")
