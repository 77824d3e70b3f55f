"""Offers of the IG hand-off card, kept on the server (bot.store.offers).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_offer",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("conversation_id", sa.String(500), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("passages", sa.JSON, nullable=False),
        sa.Column("roster_email", sa.String(320), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16)),
    )
    op.create_index("ix_escalation_offer_expires_at", "escalation_offer", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_escalation_offer_expires_at", "escalation_offer")
    op.drop_table("escalation_offer")
