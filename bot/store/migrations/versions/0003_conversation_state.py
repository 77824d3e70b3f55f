"""Conversation state shared by replicas: follow-up context and reply context (bot.store.conversation_state).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_state",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversation_state_updated_at", "conversation_state", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_state_updated_at", "conversation_state")
    op.drop_table("conversation_state")
