"""Service entry point (contract 4): `python app.py`, configured by environment variables."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.compose import make_web_app
from bot.config import Settings


def main() -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings.check_safe_to_serve()
    except ValueError as exc:
        logging.getLogger("app").error("%s", exc)
        return 2
    web.run_app(make_web_app(settings), host=settings.host, port=settings.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
