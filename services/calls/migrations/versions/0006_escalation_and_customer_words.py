"""escalation holders, the customer's words and place on work orders, the customer registry

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.add_column(sa.Column("matter", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("meter_number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("transformer_area", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("promise", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("escalation_level", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("escalated_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("escalated_to_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("escalated_to_role", sa.String(length=30), nullable=True))
        batch_op.add_column(
            sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_work_orders_escalated_to_id", ["escalated_to_id"])
    with op.batch_alter_table("work_order_escalations") as batch_op:
        batch_op.add_column(sa.Column("escalated_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("escalated_to_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_by", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_customers_name", ["name"])
    op.create_index("ix_calls_caller_number", "calls", ["caller_number"])
    # the level already reached by the sweep's escalations (each level once per order)
    op.execute(
        "UPDATE work_orders SET escalation_level = CASE "
        "WHEN EXISTS (SELECT 1 FROM work_order_escalations e WHERE e.work_order_id = "
        "work_orders.id AND e.level = 'deputy_team_lead') THEN 'deputy_team_lead' "
        "WHEN EXISTS (SELECT 1 FROM work_order_escalations e WHERE e.work_order_id = "
        "work_orders.id AND e.level = 'duty_leader') THEN 'duty_leader' END"
    )


def downgrade() -> None:
    op.drop_index("ix_calls_caller_number", table_name="calls")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_index("ix_customers_name")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_at")
    with op.batch_alter_table("work_order_escalations") as batch_op:
        batch_op.drop_column("escalated_to_id")
        batch_op.drop_column("escalated_by")
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.drop_index("ix_work_orders_escalated_to_id")
        for column in ("escalated_at", "escalated_to_role", "escalated_to_name",
                       "escalated_to_id", "escalation_level", "promise", "transformer_area",
                       "meter_number", "address", "matter"):
            batch_op.drop_column(column)
