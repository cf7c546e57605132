"""organisation: departments, A/B posts, leave, absences, uncovered posts, duty rota

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False, primary_key=True)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch_op:
        batch_op.add_column(
            sa.Column("employment", sa.String(20), nullable=False, server_default="permanent")
        )
        batch_op.add_column(sa.Column("joined_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("on_leave", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "departments",
        sa.Column("code", sa.String(64), nullable=False, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_table(
        "posts",
        _id(),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("department", sa.String(64), sa.ForeignKey("departments.code")),
        sa.Column("a_holder_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("b_holder_id", sa.Integer(), sa.ForeignKey("staff.id")),
    )
    op.create_table(
        "leave_requests",
        _id(),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("leave_type", sa.String(20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("start_pm", sa.Boolean(), nullable=False),
        sa.Column("half_days", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("end_pm", sa.Boolean(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("hospital_record", sa.String(200)),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("chain", sa.String(200), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _at("requested_at"),
        _at("decided_at", nullable=True),
        _at("returned_at", nullable=True),
    )
    op.create_index("ix_leave_requests_staff_id", "leave_requests", ["staff_id"])
    op.create_index("ix_leave_status_ends", "leave_requests", ["status", "ends_on"])
    op.create_table(
        "leave_decisions",
        _id(),
        sa.Column("leave_id", sa.Integer(), sa.ForeignKey("leave_requests.id"), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(30), nullable=False),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("acting_for", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        _at("decided_at"),
        sa.UniqueConstraint("leave_id", "step", name="uq_leave_decision_step"),
    )
    op.create_table(
        "absences",
        _id(),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("leave_id", sa.Integer(), sa.ForeignKey("leave_requests.id")),
        _at("detected_at"),
        sa.UniqueConstraint("staff_id", "day", name="uq_absence_staff_day"),
    )
    op.create_table(
        "uncovered_posts",
        _id(),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _at("detected_at"),
        sa.UniqueConstraint("post_id", "day", name="uq_uncovered_post_day"),
    )
    op.create_table(
        "rota_handovers",
        sa.Column("day", sa.Date(), nullable=False, primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("to_post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        _at("recorded_at"),
    )
    op.create_table(
        "rota_alerts",
        sa.Column("day", sa.Date(), nullable=False, primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        _at("raised_at"),
    )


def downgrade() -> None:
    for table in (
        "rota_alerts", "rota_handovers", "uncovered_posts", "absences", "leave_decisions",
        "leave_requests", "posts", "departments",
    ):
        op.drop_table(table)
    with op.batch_alter_table("staff") as batch_op:
        for column in ("on_leave", "left_on", "joined_on", "employment"):
            batch_op.drop_column(column)
