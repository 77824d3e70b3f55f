"""The composition root: the one place that builds and wires the bot's parts."""

from __future__ import annotations

import asyncio
import logging

from bot.config import Settings
from bot.core.answer_cache import AnswerCache
from bot.core.assistant import Assistant, Contacts
from bot.core.batching import MicroBatcher
from bot.core.embed import Embedder, MiniLMEmbedder
from bot.core.index_store import build_index, current_build, load_index

log = logging.getLogger(__name__)


def make_embedder() -> Embedder:
    return MiniLMEmbedder()


def make_assistant(settings: Settings, build_if_missing: bool = True, embedder: Embedder | None = None) -> Assistant:
    """Load the model and the index once; build the index first when there is none."""
    embedder = embedder or make_embedder()
    if build_if_missing and current_build(settings.index_dir) is None:
        log.info("no index at %s: building it from %s", settings.index_dir, settings.knowledge_dir)
        report = build_index(settings.knowledge_dir, settings.index_dir, embedder)
        log.info(report.summary())
    snapshot = load_index(settings.index_dir)
    return Assistant(snapshot, embedder, contacts=Contacts(ig_mailbox=settings.ig_mailbox))


def make_adapter(settings: Settings):
    """CloudAdapter with Bot Framework authentication from the settings (none without app id).

    Inbound authentication is the SDK's; replies take the lean path in bot.teams.fast_reply.
    """
    from botbuilder.core import TurnContext

    from bot.teams.fast_reply import (
        FastCloudAdapter,
        ReplySender,
        TokenSource,
        authority_for,
        keep_key_refresh_off_the_loop,
    )
    from bot.teams.fast_reply import authentication as make_authentication

    keep_key_refresh_off_the_loop()
    tokens = None
    if not settings.anonymous and settings.app_password:
        authority = authority_for(settings.app_type, settings.app_tenant_id, settings.login_url or None)
        tokens = TokenSource(settings.app_id, settings.app_password, authority, "https://api.botframework.com")
    adapter = FastCloudAdapter(
        make_authentication(settings), ReplySender(tokens), require_service_url_claim=not settings.anonymous
    )

    async def on_error(context: TurnContext, error: Exception) -> None:
        from bot.logs import correlation_id

        correlation = correlation_id.get()
        log.exception("turn failed correlation=%s", correlation, exc_info=error)
        try:
            await context.send_activity(
                f"Sorry, something went wrong on my side. Please try again. (reference {correlation})"
            )
        except Exception:  # the channel itself may be unreachable; the log has the details
            log.warning("could not tell the user about failure correlation=%s", correlation)

    adapter.on_turn_error = on_error
    return adapter


def make_web_app(settings: Settings, embedder: Embedder | None = None):
    """The whole service: the app listens at once; /healthz turns 200 when the index is loaded."""

    import bot.teams.builtin  # noqa: F401  (registers the built-in commands)
    from bot.teams.handler import GovernanceBot
    from bot.web import ServiceState, create_app

    state = ServiceState()
    holder: dict[str, Assistant] = {}
    batcher = MicroBatcher(lambda texts: holder["assistant"].answer_many(texts), window=settings.batch_window_ms / 1000)

    async def answer(text: str):
        if settings.batching:
            return await batcher.submit(text)
        return await asyncio.get_running_loop().run_in_executor(None, holder["assistant"].answer, text)

    async def startup() -> None:
        loop = asyncio.get_running_loop()
        try:
            assistant = await loop.run_in_executor(None, make_assistant, settings, True, embedder)
        except Exception as exc:
            log.exception("start-up failed")
            state.error = f"{type(exc).__name__}: {exc}"
            return
        # Load the name tagger now, not on the first question (not cached: the cache is set after).
        await loop.run_in_executor(None, assistant.answer, "Who wrote the policy for Jane Doe?")
        assistant.cache = AnswerCache(settings.answer_cache_size)
        holder["assistant"] = assistant
        state.details.update(index=assistant.snapshot.build_id, chunks=len(assistant.snapshot.chunks))
        state.ready = True
        log.info("ready: index %s, %d chunks", assistant.snapshot.build_id, len(assistant.snapshot.chunks))

    adapter = make_adapter(settings)
    app = create_app(
        adapter,
        GovernanceBot(
            answer,
            services={"state": state},
            ig_members=settings.ig_member_ids,
            typing_delay=settings.typing_delay_ms / 1000,
        ),
        state,
        startup=startup,
        max_body_bytes=settings.max_body_bytes,
    )

    async def close(_app) -> None:
        await batcher.aclose()
        await adapter.sender.close()

    app.on_cleanup.append(close)
    return app
