"""Persistence: one SQLAlchemy metadata, one engine. Tables live in modules beside this one.

SQLite is the embedded default; the SQL stays portable to PostgreSQL through SQLAlchemy Core.
"""

import logging

# Alembic narrates every import and upgrade at INFO (plugins, "Context impl"); bot.store.migrate
# logs the one line that matters. Set before any store module imports Alembic.
logging.getLogger("alembic").setLevel(logging.WARNING)
