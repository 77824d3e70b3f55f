"""Alembic environment: migrations run on the connection bot.store.migrate hands over, under its lock."""

from __future__ import annotations

from alembic import context

from bot.store.schema import load_tables

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only bot.store.migrate runs migrations
    raise RuntimeError("run migrations through bot.store.migrate.upgrade (it takes the upgrade lock)")

context.configure(
    connection=connection,
    target_metadata=load_tables(),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
