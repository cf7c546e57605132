"""work order lifecycle: classification, lifecycle fields and the history of transitions

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from svckit.tables import BigId

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.add_column(sa.Column("ivr_category", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("sub_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("area", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("department", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("result", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("solved", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("reopened", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("urged", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_work_orders_department", ["department"])
        batch_op.create_index("ix_work_orders_parent_id", ["parent_id"])
        batch_op.create_foreign_key(
            "fk_work_orders_parent_id", "work_orders", ["parent_id"], ["id"]
        )
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.alter_column("reopened", server_default=None)
        batch_op.alter_column("urged", server_default=None)
    op.execute("UPDATE work_orders SET ivr_category = category")
    op.create_table(
        "work_order_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=30), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_department", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_work_order_history_work_order_id", "work_order_history", ["work_order_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_work_order_history_work_order_id", table_name="work_order_history")
    op.drop_table("work_order_history")
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.drop_constraint("fk_work_orders_parent_id", type_="foreignkey")
        batch_op.drop_index("ix_work_orders_parent_id")
        batch_op.drop_index("ix_work_orders_department")
        for column in (
            "updated_at", "urged", "reopened", "parent_id", "solved", "satisfaction", "reply",
            "result", "department", "area", "sub_type", "ivr_category",
        ):
            batch_op.drop_column(column)
