"""hotline roster (shift templates, dated entries, swaps), proof of work, attendance
corrections, absences that end (issue 9)

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence
from datetime import time

import sqlalchemy as sa
from alembic import op

from svckit.tables import BigId

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The hotline's usual shifts (S3.2); duty leaders add others through the API.
TEMPLATES = [
    ("early", "早班", time(8), time(16)),
    ("late", "中班", time(16), time(0)),
    ("night", "夜班", time(0), time(8)),
    ("leader_day", "值长白班", time(8), time(20)),
    ("leader_night", "值长夜班", time(20), time(8)),
    ("office", "办公时间", time(8, 30), time(17, 30)),
]


def upgrade() -> None:
    templates = op.create_table(
        "shift_templates",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(templates, [
        {"code": code, "name": name, "starts": starts, "ends": ends}
        for code, name, starts, ends in TEMPLATES
    ])
    op.create_table(
        "roster_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("template", sa.String(length=20), nullable=False),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("planned_by", sa.Integer(), nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id", "day", name="uq_roster_staff_day"),
    )
    op.create_index("ix_roster_day", "roster_entries", ["day"])
    op.create_table(
        "shift_swaps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("partner_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["requester_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "work_proofs",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", "day"),
    )
    op.create_table(
        "attendance_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("corrected_by", sa.Integer(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attendance_correction_staff_day", "attendance_corrections",
                    ["staff_id", "day"])
    op.add_column("absences", sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("absences", sa.Column("cleared_by", sa.Integer(), nullable=True))
    op.add_column("absences", sa.Column("cleared_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("absences") as batch:
        batch.drop_column("cleared_reason")
        batch.drop_column("cleared_by")
        batch.drop_column("cleared_at")
    op.drop_index("ix_attendance_correction_staff_day", table_name="attendance_corrections")
    op.drop_table("attendance_corrections")
    op.drop_table("work_proofs")
    op.drop_table("shift_swaps")
    op.drop_index("ix_roster_day", table_name="roster_entries")
    op.drop_table("roster_entries")
    op.drop_table("shift_templates")
