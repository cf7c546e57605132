"""work orders opened from a salesperson's visit (issue 14): channel and first contact

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 07:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), server_default='phone',
                                      nullable=False))
        batch_op.add_column(sa.Column('first_contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_contact_name', sa.String(length=100), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('first_contact_name')
        batch_op.drop_column('first_contact_id')
        batch_op.drop_column('channel')
