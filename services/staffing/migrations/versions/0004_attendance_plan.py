"""attendance records, excused days and call arrivals (issue 4: S1.16, S3.3)

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attendance_records",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("clock_in", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_out", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id", "day", name="uq_attendance_staff_day"),
    )
    op.create_index("ix_attendance_day", "attendance_records", ["day"])
    op.create_table(
        "excused_days",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("staff_id", "day"),
    )
    op.create_table(
        "call_arrivals",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("call_uniqueid", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_uniqueid"),
    )
    op.create_index("ix_call_arrivals_started_at", "call_arrivals", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_call_arrivals_started_at", table_name="call_arrivals")
    op.drop_table("call_arrivals")
    op.drop_table("excused_days")
    op.drop_index("ix_attendance_day", table_name="attendance_records")
    op.drop_table("attendance_records")
