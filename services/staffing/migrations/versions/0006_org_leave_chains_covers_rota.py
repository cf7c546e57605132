"""issue 9: leave chains fixed per request, covers named for leave (S1.5), the rota's handover
confirmed by the receiving window and reckoned from the install date (S1.9)

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
    with op.batch_alter_table("leave_requests") as batch_op:
        batch_op.add_column(sa.Column("chain_posts", sa.String(400), nullable=True))
    with op.batch_alter_table("rota_handovers") as batch_op:
        batch_op.add_column(sa.Column("confirmed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirm_note", sa.String(500), nullable=True))
        batch_op.create_foreign_key(
            "fk_rota_handovers_confirmed_by", "staff", ["confirmed_by"], ["id"]
        )
    op.create_table(
        "leave_covers",
        sa.Column("id", sa.Integer(), nullable=False, primary_key=True),
        sa.Column("leave_id", sa.Integer(), sa.ForeignKey("leave_requests.id"), nullable=False),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("named_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("leave_id", "post_id", name="uq_leave_cover_post"),
    )
    # The install date is recorded by the service on its first sweep, from the service clock
    # (services/staffing/sweeps.py): an upgraded install starts its rota duties then.
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False, primary_key=True, autoincrement=False),
        sa.Column("installed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("installation")
    op.drop_table("leave_covers")
    with op.batch_alter_table("rota_handovers") as batch_op:
        batch_op.drop_constraint("fk_rota_handovers_confirmed_by", type_="foreignkey")
        batch_op.drop_column("confirm_note")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmed_by")
    with op.batch_alter_table("leave_requests") as batch_op:
        batch_op.drop_column("chain_posts")
