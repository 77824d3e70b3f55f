"""Service entry point: `python app.py` (or `make run`), configured by environment variables (bot/config.py)."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.compose import make_web_app
from bot.config import Settings
from bot.logs import configure as configure_logging
from bot.store.db import DatabaseError, open_database


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
        settings.check_safe_to_serve()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError: say what is wrong, no traceback
        logging.getLogger("app").error("configuration error: %s", exc)
        return 2
    try:
        # Reachable, and the schema upgraded (under a lock: replicas may start together) before serving.
        engine = open_database(settings.database_url)
    except DatabaseError as exc:  # one line, no password, no traceback
        logging.getLogger("app").error("database error: %s", exc)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    web.run_app(make_web_app(settings, engine=engine), host=settings.host, port=settings.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
