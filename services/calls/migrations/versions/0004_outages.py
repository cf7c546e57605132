"""outages, the fault reports of configured areas and the storms among them

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


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("declared_by", sa.String(length=100), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_restore_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("parent_work_order_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["parent_work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id"),
    )
    op.create_index("ix_outages_area", "outages", ["area"])
    op.create_index("ix_outages_lifted_at", "outages", ["lifted_at"])
    op.create_table(
        "area_reports",
        sa.Column("work_order_id", sa.String(length=36), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_to", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("work_order_id"),
    )
    op.create_index(
        "ix_area_reports_area_reported_at", "area_reports", ["area", "reported_at"]
    )
    op.create_table(
        "storms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("parent_work_order_id", sa.String(length=36), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outage_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["outage_id"], ["outages.id"]),
        sa.ForeignKeyConstraint(["parent_work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parent_work_order_id"),
    )
    op.create_index("ix_storms_area", "storms", ["area"])


def downgrade() -> None:
    op.drop_index("ix_storms_area", table_name="storms")
    op.drop_table("storms")
    op.drop_index("ix_area_reports_area_reported_at", table_name="area_reports")
    op.drop_table("area_reports")
    op.drop_index("ix_outages_lifted_at", table_name="outages")
    op.drop_index("ix_outages_area", table_name="outages")
    op.drop_table("outages")
