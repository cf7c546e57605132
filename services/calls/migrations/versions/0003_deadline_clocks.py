"""deadline clocks, warnings sent, escalations and promised callbacks (issue 3)

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from svckit.tables import BigId

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZONED = sa.DateTime(timezone=True)


def _order_id() -> sa.Column:
    return sa.Column("work_order_id", sa.String(length=36), nullable=False)


def _order_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"])


def upgrade() -> None:
    op.create_table(
        "work_order_clocks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _order_id(),
        sa.Column("clock", sa.String(length=30), nullable=False),
        sa.Column("policy_key", sa.String(length=80), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.String(length=30), nullable=False),
        sa.Column("started_at", ZONED, nullable=False),
        sa.Column("due_at", ZONED, nullable=False),
        sa.Column("stopped_at", ZONED, nullable=True),
        sa.Column("stopped_by", sa.String(length=30), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("next_check_at", ZONED, nullable=True),
        _order_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_order_id", "clock", name="uq_work_order_clocks_order_clock"),
    )
    op.create_index(
        "ix_work_order_clocks_next_check_at", "work_order_clocks", ["next_check_at"]
    )
    op.create_table(
        "deadline_warnings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _order_id(),
        sa.Column("clock", sa.String(length=30), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("due_at", ZONED, nullable=False),
        sa.Column("sent_at", ZONED, nullable=False),
        _order_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "work_order_id", "clock", "percent", name="uq_deadline_warnings_once"
        ),
    )
    op.create_table(
        "work_order_escalations",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _order_id(),
        sa.Column("level", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("clock", sa.String(length=30), nullable=True),
        sa.Column("at", ZONED, nullable=False),
        _order_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_order_id", "level", name="uq_work_order_escalations_once"),
    )
    op.create_table(
        "callbacks",
        _order_id(),
        sa.Column("matter", sa.Text(), nullable=False),
        sa.Column("caller_name", sa.Text(), nullable=False),
        sa.Column("work_unit", sa.String(length=256), nullable=False),
        sa.Column("contact", sa.String(length=128), nullable=False),
        sa.Column("promised_by", sa.String(length=64), nullable=False),
        sa.Column("promised_at", ZONED, nullable=False),
        sa.Column("reply_by", ZONED, nullable=False),
        _order_fk(),
        sa.PrimaryKeyConstraint("work_order_id"),
    )
    op.create_index("ix_callbacks_reply_by", "callbacks", ["reply_by"])


def downgrade() -> None:
    op.drop_index("ix_callbacks_reply_by", table_name="callbacks")
    op.drop_table("callbacks")
    op.drop_table("work_order_escalations")
    op.drop_table("deadline_warnings")
    op.drop_index("ix_work_order_clocks_next_check_at", table_name="work_order_clocks")
    op.drop_table("work_order_clocks")
