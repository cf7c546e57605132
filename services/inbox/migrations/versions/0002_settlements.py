"""settlements: what closed the notices about a subject, and until when (a lockout lifted)

A lift may be handled before the notice of the lock it lifts (two queues): the settlement is
remembered, and a notice made later for a lock until then arrives settled.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlements",
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("news", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("subject_type", "subject_id"),
    )


def downgrade() -> None:
    op.drop_table("settlements")
