"""indexes for the leaders' board: calls.started_at (the last 15 minutes' calls),
work_orders.status (orders by state), the escalated orders, the running clocks by due time

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ESCALATED = sa.text("escalation_level IS NOT NULL")
RUNNING = sa.text("stopped_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_index("ix_work_orders_status", "work_orders", ["status"])
    op.create_index("ix_work_orders_escalated", "work_orders", ["status"],
                    postgresql_where=ESCALATED, sqlite_where=ESCALATED)
    op.create_index("ix_work_order_clocks_running_due", "work_order_clocks",
                    ["due_at", "work_order_id"], postgresql_where=RUNNING, sqlite_where=RUNNING)


def downgrade() -> None:
    op.drop_index("ix_work_order_clocks_running_due", table_name="work_order_clocks")
    op.drop_index("ix_work_orders_escalated", table_name="work_orders")
    op.drop_index("ix_work_orders_status", table_name="work_orders")
    op.drop_index("ix_calls_started_at", table_name="calls")
