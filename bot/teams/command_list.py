"""Every command the bot offers, in one explicit list (what `help` shows, and what a message can match)."""

from __future__ import annotations

from bot.teams.builtin import HELP
from bot.teams.case_commands import CASES, MY_REQUESTS
from bot.teams.commands import Command
from bot.teams.ig_commands import INDEX_STATUS, REFRESH
from bot.teams.oversight import ABOUT, REPORT

COMMANDS: tuple[Command, ...] = (HELP, ABOUT, MY_REQUESTS, REFRESH, INDEX_STATUS, REPORT, CASES)
