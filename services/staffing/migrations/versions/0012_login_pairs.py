"""login pairs: a lockout per (username, client address), not per username (issue 10)

A stranger who knew a username could lock its member out. From now on only the pair is locked,
and a member's known addresses are remembered; the old username locks are lifted here (their
pairs are not known: the guessers' addresses start afresh, their delays still apply).

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_pairs",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", "address"),
    )
    op.execute("UPDATE login_throttles SET locked_at = NULL")


def downgrade() -> None:
    op.drop_table("login_pairs")
