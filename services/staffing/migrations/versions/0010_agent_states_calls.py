"""agent states and call outcomes from Asterisk's manager interface (issue 16)

``staff`` gets its phone's line, the end of a wrap-up and the agent state last published;
``agent_calls`` keeps each call offered to agents: answered by whom, hold, talk, wrap-up, or
abandoned after how long; ``coaching_sessions`` every leader's attempt to listen or whisper.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("line_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("line_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("wrapup_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("agent_state", sa.String(length=16), nullable=True))
    op.create_table(
        "agent_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("key", sa.String(length=64), nullable=False, unique=True),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ringing", sa.String(length=40), nullable=True),
        sa.Column("device", sa.String(length=40), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_seconds", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
        sa.Column("wrapup_seconds", sa.Float(), nullable=True),
        sa.Column("abandoned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waited_seconds", sa.Float(), nullable=True),
        sa.Column("no_answers", sa.Integer(), nullable=False),
    )
    op.create_index("ix_agent_calls_offered_at", "agent_calls", ["offered_at"])
    op.create_index("ix_agent_calls_staff_id", "agent_calls", ["staff_id"])
    op.create_table(
        "coaching_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_coaching_sessions_leader_id", "coaching_sessions", ["leader_id"])
    op.create_index("ix_coaching_sessions_at", "coaching_sessions", ["at"])


def downgrade() -> None:
    op.drop_index("ix_coaching_sessions_at", table_name="coaching_sessions")
    op.drop_index("ix_coaching_sessions_leader_id", table_name="coaching_sessions")
    op.drop_table("coaching_sessions")
    op.drop_index("ix_agent_calls_staff_id", table_name="agent_calls")
    op.drop_index("ix_agent_calls_offered_at", table_name="agent_calls")
    op.drop_table("agent_calls")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("agent_state")
        batch.drop_column("wrapup_until")
        batch.drop_column("line_since")
        batch.drop_column("line_state")
