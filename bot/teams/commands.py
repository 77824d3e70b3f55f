"""Typed commands ("help", "about", "refresh", ...) as opposed to questions.

A command is matched on the whole message (after the @mention is removed), case-insensitively.
Each command is a coroutine taking a CommandContext and returning the reply to send (text or an
Activity). The commands the bot offers are listed in one place, bot.teams.command_list. Commands
restricted to the IG team say so with `ig_only`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.service import Service


@dataclass
class CommandContext:
    """What a command needs: the turn, and the service's parts it may use."""

    turn: TurnContext
    service: Service
    ig_members: frozenset[str] = frozenset()  # Entra object ids (lower case) of the IG team
    available: tuple[Command, ...] = ()  # every command the bot offers (help lists them)

    @property
    def user_object_id(self) -> str | None:
        sender = self.turn.activity.from_property
        return getattr(sender, "aad_object_id", None) if sender else None

    @property
    def personal(self) -> bool:
        """A one-to-one chat with the bot: what it shows there is seen by the sender alone."""
        conversation = self.turn.activity.conversation
        return (conversation.conversation_type if conversation else None) in (None, "personal")

    @property
    def ig_member(self) -> bool:
        """Whether the sender is in the IG team: IG-only commands are run and shown to them only."""
        return (self.user_object_id or "").lower() in self.ig_members


Handler = Callable[[CommandContext], Awaitable["str | Activity"]]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    run: Handler
    ig_only: bool = False


def match(text: str, available: Iterable[Command]) -> Command | None:
    """The command a message is, if it is exactly one (e.g. "Help", "index status")."""
    key = " ".join(text.lower().strip(" .!?").split())
    return next((c for c in available if c.name == key), None)
