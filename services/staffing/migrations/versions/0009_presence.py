"""presence: a hotline member ready or away, why and since when (issue 11)

``staff.away`` (routing already passes an away member) gets its reason and its time.

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("away_reason", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("presence_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("presence_since")
        batch.drop_column("away_reason")
