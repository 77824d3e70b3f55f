"""IG cases (bot.store.cases): a status per escalation and its history; the IG mailbox's copy of each
reply (bot.store.case_mail); offers gain a kind, so a case button's id is never a hand-off form's.

Escalations already stored become cases: delivered if their email was, else received.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _stored_id(value: str, limit: int = 200) -> str:  # bot.store.offers.stored_id, as it is today
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("escalation_offer") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="escalation"))
    op.create_table(
        "escalation_case",
        sa.Column("escalation_id", sa.Integer, sa.ForeignKey("escalation.id"), primary_key=True),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("first_reply_at", TZ),
        sa.Column("flag", sa.String(300)),
    )
    op.create_index("ix_escalation_case_user_id", "escalation_case", ["user_id"])
    op.create_index("ix_escalation_case_status", "escalation_case", ["status"])
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("escalation_id", sa.Integer, sa.ForeignKey("escalation.id"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=False),
        sa.Column("delivery", sa.String(16)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ),
        sa.Column("lease_until", TZ),
        sa.Column("last_error", sa.String(300)),
    )
    op.create_index("ix_case_event_escalation_id", "case_event", ["escalation_id"])
    op.create_index("ix_case_event_delivery", "case_event", ["delivery"])
    op.create_table(
        "case_mail",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("escalation_id", sa.Integer, sa.ForeignKey("escalation.id"), nullable=False),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("case_event.id"), nullable=False, unique=True),
        sa.Column("message_id", sa.String(300), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ),
        sa.Column("lease_until", TZ),
    )
    op.create_index("ix_case_mail_escalation_id", "case_mail", ["escalation_id"])
    op.create_index("ix_case_mail_status", "case_mail", ["status"])
    _cases_for_existing_escalations()


def _cases_for_existing_escalations() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    escalation = sa.Table("escalation", meta, autoload_with=conn)
    outbox = sa.Table("escalation_outbox", meta, autoload_with=conn)
    case = sa.Table("escalation_case", meta, autoload_with=conn)
    event = sa.Table("case_event", meta, autoload_with=conn)
    rows = conn.execute(
        sa.select(
            escalation.c.id,
            escalation.c.created_at,
            escalation.c.conversation_reference,
            outbox.c.status,
            outbox.c.delivered_at,
        ).outerjoin(outbox, outbox.c.escalation_id == escalation.c.id)
    ).all()
    for r in rows:
        user = ((r.conversation_reference or {}).get("user") or {}).get("id") or ""
        delivered = r.status == "delivered"
        status = "delivered" if delivered else "received"
        at = (r.delivered_at if delivered else None) or r.created_at
        conn.execute(
            sa.insert(case).values(escalation_id=r.id, user_id=_stored_id(str(user)), status=status, updated_at=at)
        )
        common = {"escalation_id": r.id, "actor": "system", "actor_id": "", "text": "", "signed_by": "", "attempts": 0}
        conn.execute(sa.insert(event).values(at=r.created_at, action="received", status="received", **common))
        if delivered:
            conn.execute(sa.insert(event).values(at=at, action="deliver", status="delivered", **common))


def downgrade() -> None:
    op.drop_table("case_mail")
    op.drop_table("case_event")
    op.drop_table("escalation_case")
    with op.batch_alter_table("escalation_offer") as batch:
        batch.drop_column("kind")
