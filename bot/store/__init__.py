"""Persistence: one SQLAlchemy metadata, one engine. Tables live in modules beside this one.

SQLite is the embedded default; the SQL stays portable to PostgreSQL through SQLAlchemy Core.
"""
