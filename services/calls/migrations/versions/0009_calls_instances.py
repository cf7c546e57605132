"""calls instances and the instance serving each call, for closing interrupted calls

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls_instances",
        sa.Column("instance_id", sa.String(length=36), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("instance_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_calls_instance_id", ["instance_id"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_index("ix_calls_instance_id")
        batch_op.drop_column("instance_id")
    op.drop_table("calls_instances")
