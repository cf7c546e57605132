"""each work order's call with an agent, from Asterisk's manager interface (issue 16)

Answered by whom, hold, talk and wrap-up seconds, abandoned after how long, how many phones
rang out unanswered; click-to-call callbacks (S1.10) and their outcomes.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("answered_by_id", "answered_at", "hold_seconds", "talk_seconds", "wrapup_seconds",
           "abandoned_after_seconds", "ring_no_answers")


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("answered_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        for name in COLUMNS[2:6]:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch.add_column(sa.Column("ring_no_answers", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "callback_calls",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("work_order_id", sa.String(length=36), sa.ForeignKey("work_orders.id"),
                  nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_callback_calls_work_order_id", "callback_calls", ["work_order_id"])


def downgrade() -> None:
    op.drop_index("ix_callback_calls_work_order_id", table_name="callback_calls")
    op.drop_table("callback_calls")
    with op.batch_alter_table("work_orders") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
