"""The composition root: the one place that builds and wires the bot's parts."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.core.assistant import Assistant, Contacts
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
        report = build_index(settings.knowledge_dir, settings.index_dir, embedder, hnsw_above=settings.hnsw_above)
        log.info(report.summary())
    snapshot = load_index(settings.index_dir)
    return Assistant(snapshot, embedder, contacts=Contacts(ig_mailbox=settings.ig_mailbox))


def make_adapter(settings: Settings):
    """CloudAdapter with Bot Framework authentication from the settings (none without app id)."""
    from botbuilder.core import TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class _Config:
        APP_ID = settings.app_id
        APP_PASSWORD = settings.app_password
        APP_TYPE = settings.app_type
        APP_TENANTID = settings.app_tenant_id

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Config()))

    async def on_error(context: TurnContext, error: Exception) -> None:
        import uuid

        correlation = uuid.uuid4().hex[:12]
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
    import asyncio

    import bot.teams.builtin  # noqa: F401  (registers the built-in commands)
    from bot.reload import IndexService
    from bot.teams import ig_commands  # noqa: F401  (refresh, index status)
    from bot.teams.handler import GovernanceBot
    from bot.web import ServiceState, create_app

    state = ServiceState()
    holder: dict[str, Assistant] = {}
    services: dict[str, object] = {"state": state}

    def on_swap(assistant: Assistant) -> None:
        state.details.update(index=assistant.snapshot.build_id, chunks=len(assistant.snapshot.chunks))

    def answer(text: str):
        return holder["assistant"].answer(text)

    async def startup() -> None:
        loop = asyncio.get_running_loop()
        try:
            assistant = await loop.run_in_executor(None, make_assistant, settings, True, embedder)
        except Exception as exc:
            log.exception("start-up failed")
            state.error = f"{type(exc).__name__}: {exc}"
            return
        holder["assistant"] = assistant
        state.details.update(index=assistant.snapshot.build_id, chunks=len(assistant.snapshot.chunks))
        state.ready = True
        log.info("ready: index %s, %d chunks", assistant.snapshot.build_id, len(assistant.snapshot.chunks))
        index = IndexService(
            assistant,
            settings.knowledge_dir,
            settings.index_dir,
            poll_seconds=settings.index_poll_seconds,
            hnsw_above=settings.hnsw_above,
            on_swap=on_swap,
        )
        services["index"] = index
        await index.watch()  # live reload until the app shuts down (cancelled on cleanup)

    app = create_app(
        make_adapter(settings),
        GovernanceBot(answer, services=services, ig_members=settings.ig_member_ids),
        state,
        startup=startup,
        max_body_bytes=settings.max_body_bytes,
    )
    return app
