"""Every table the bot keeps, on the one MetaData in bot.store.db.

Each store module owns its tables; importing them here gives the migrations (and anything
that needs the full picture, such as the retention rules) the same objects the code uses.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def load_tables() -> MetaData:
    import bot.store.case_mail
    import bot.store.cases
    import bot.store.conversation_state
    import bot.store.escalations
    import bot.store.feedback
    import bot.store.offers
    import bot.store.turns  # noqa: F401  (each import registers its tables)
    from bot.store.db import metadata

    return metadata
