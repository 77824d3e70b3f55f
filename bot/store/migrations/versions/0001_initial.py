"""The schema as it was before migrations: turns, feedback, escalation, escalation_outbox.

A database made by `create_all` before this migration existed already has some or all of these
tables (each store created its own on first use): only the missing ones are created, so such a
database is adopted with its rows. The tables are written out here, not taken from the store
modules, because those move on with later migrations.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def tables(metadata: sa.MetaData) -> list[sa.Table]:
    """Today's tables, column for column (also used by the tests to make a pre-migration database)."""
    return [
        sa.Table(
            "turns",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
            sa.Column("conversation", sa.String(64), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("route", sa.String(20), nullable=False),
            sa.Column("confidence", sa.Float, nullable=False),
            sa.Column("sources", sa.Text, nullable=False),
            sa.Column("redacted", sa.String(200), nullable=False),
            sa.Column("latency_ms", sa.Integer, nullable=False),
        ),
        sa.Table(
            "feedback",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("reply_id", sa.String(200), nullable=False, index=True),
            sa.Column("reaction", sa.String(10), nullable=False),
            sa.Column("comment", sa.Text, nullable=False),
            sa.Column("question", sa.Text, nullable=True),
            sa.Column("answer", sa.Text, nullable=True),
            sa.Column("route", sa.String(20), nullable=True),
            sa.Column("citations", sa.Text, nullable=True),
        ),
        sa.Table(
            "escalation",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("reference", sa.String(32), unique=True),
            sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("user_name", sa.String(200), nullable=False),
            sa.Column("user_email", sa.String(320), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("fields", sa.JSON, nullable=False),
            sa.Column("passages", sa.JSON, nullable=False),
            sa.Column("conversation_reference", sa.JSON),
            sa.Column("notified_at", sa.DateTime(timezone=True)),
        ),
        sa.Table(
            "escalation_outbox",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("escalation_id", sa.Integer, sa.ForeignKey("escalation.id"), nullable=False, unique=True),
            sa.Column("message_id", sa.String(300), nullable=False, unique=True),
            sa.Column("status", sa.String(16), nullable=False, index=True),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_error", sa.String(500)),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("delivered_at", sa.DateTime(timezone=True)),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    missing = [t for t in tables(sa.MetaData()) if t.name not in existing]
    if missing:
        missing[0].metadata.create_all(bind, tables=missing)


def downgrade() -> None:
    for name in ("escalation_outbox", "escalation", "feedback", "turns"):
        op.drop_table(name)
