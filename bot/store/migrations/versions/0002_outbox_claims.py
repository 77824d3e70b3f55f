"""Claims: a sender leases an outbox row (and a staff notification) before acting on it.

escalation_outbox.lease_until: while status is 'sending', no other sender may take the row
until this time has passed (the sender died). escalation.notify_lease_until: the same for
telling the staff member their escalation was delivered.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation_outbox") as table:
        table.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("escalation") as table:
        table.add_column(sa.Column("notify_lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation") as table:
        table.drop_column("notify_lease_until")
    with op.batch_alter_table("escalation_outbox") as table:
        table.drop_column("lease_until")
