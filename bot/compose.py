"""The composition root: the one place that builds and wires the bot's parts."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.config import Settings
from bot.core import pii_presidio, privacy
from bot.core.assistant import Assistant, Contacts
from bot.core.embed import Embedder, MiniLMEmbedder
from bot.core.index_store import IndexMissing, build_index, current_build, load_index

log = logging.getLogger(__name__)
SERVICE = web.AppKey("service", object)  # the typed bot.service.Service, for tests and benchmarks


def make_embedder(settings: Settings | None = None) -> Embedder:
    """ONNX Runtime by default; sentence-transformers if asked for, or if ONNX cannot be had here."""
    settings = settings or Settings()
    if settings.embed_backend == "onnx":
        try:
            from bot.core import embed_onnx

            return embed_onnx.load(settings.model_cache_dir, threads=settings.embed_threads)
        except Exception as exc:  # no onnxruntime, unwritable cache, export mismatch: still serve
            log.warning("ONNX embeddings unavailable (%s: %s); using sentence-transformers", type(exc).__name__, exc)
    return MiniLMEmbedder()


def make_assistant(settings: Settings, build_if_missing: bool = True, embedder: Embedder | None = None) -> Assistant:
    """Load the model and the index once; build the index first when there is none."""
    if current_build(settings.index_dir) is None:
        if not build_if_missing:
            raise IndexMissing(f"no index at {settings.index_dir} (build it with: python -m bot index)")
        from bot.reload import build_lock

        with build_lock(settings.index_dir):  # replicas starting on an empty shared folder build it once
            if current_build(settings.index_dir) is None:
                embedder = embedder or make_embedder(settings)
                log.info("no index at %s: building it from %s", settings.index_dir, settings.knowledge_dir)
                report = build_index(
                    settings.knowledge_dir, settings.index_dir, embedder, hnsw_above=settings.hnsw_above
                )
                log.info(report.summary())
    snapshot = load_index(settings.index_dir)
    embedder = embedder or make_embedder(settings)
    pii_presidio.configure(enabled=settings.privacy_ner)  # the core reads no configuration itself
    privacy.warm_up()  # the name recogniser takes a second or two to load: not on the first question
    return Assistant(
        snapshot,
        embedder,
        contacts=Contacts(ig_mailbox=settings.ig_mailbox, ig_team=settings.ig_team),
        knowledge=[settings.knowledge_dir],
    )


def make_web_app(settings: Settings, embedder: Embedder | None = None, engine=None):
    """The whole service: the app listens at once; /healthz turns 200 when the index is loaded.

    `engine` is the database app.py opened (and upgraded); without one it is opened here.
    """
    from bot.service import Service
    from bot.store.conversation_state import FOLLOW_UP, OFFERED, REPLY, SharedContext
    from bot.store.db import open_database
    from bot.store.feedback import FeedbackStore
    from bot.store.reachability import DatabaseWatch
    from bot.store.retention import DailyPurge, days_from
    from bot.store.turn_writer import TurnWriter
    from bot.store.turns import TurnStore
    from bot.teams.adapter import make_adapter
    from bot.teams.handler import GovernanceBot
    from bot.web import ServiceState, create_app

    state = ServiceState()
    engine = engine or open_database(settings.database_url)
    adapter = make_adapter(settings)
    flow, sender = make_escalations(settings, adapter, state, engine)
    desk, case_workers = make_cases(settings, adapter, flow)
    # Follow-up context, offered buttons and feedback context in the database, so any replica can
    # continue a conversation (the keys hold Teams conversation and user ids: hashed).
    minutes = settings.conversation_memory_minutes * 60
    items = settings.conversation_memory_items
    memory = SharedContext(engine, FOLLOW_UP, items, minutes, _turn_json, _turn_from_json, hash_keys=True)
    offered = SharedContext(engine, OFFERED, items, minutes, hash_keys=True)
    recent = SharedContext(engine, REPLY, items, 24 * 3600, encode=_record_json, decode=_record_from_json)
    turns = TurnWriter(TurnStore(engine))  # rows queued, written once a second (bot.store.turn_writer)
    database = DatabaseWatch(engine)  # /healthz is not ready while the database does not answer
    state.checks.append(database.not_ready)
    state.probes.append(database.report)
    service = Service(
        settings,
        state,
        engine,
        feedback=FeedbackStore(engine),
        turns=turns,
        # now, then daily: records past their retention period are deleted
        workers=(
            *(database, sender, *case_workers, turns, memory, offered, recent),
            DailyPurge(engine, days_from(settings)),
        ),
        embedder=embedder,
        cases=desk,
    )
    bot = GovernanceBot(service, escalations=flow, memory=memory, recent=recent, offered=offered)
    # only with an app id: anonymous local mode has no tenant to check
    tenants = frozenset() if settings.anonymous else settings.allowed_tenants
    app = create_app(
        adapter, bot, state, startup=service.start, max_body_bytes=settings.max_body_bytes, allowed_tenants=tenants
    )

    async def stop(_app) -> None:
        await service.stop()
        await adapter.sender.close()

    app.on_cleanup.append(stop)
    app[SERVICE] = service
    return app


def _turn_json(turn) -> dict:  # type: ignore[no-untyped-def]
    return {"question": turn.question, "said": turn.said, "route": turn.route}


def _turn_from_json(data: dict):  # type: ignore[no-untyped-def]
    from bot.teams.conversation import Turn

    return Turn(data["question"], data["said"], data.get("route", ""))


def _record_json(record) -> dict:  # type: ignore[no-untyped-def]
    return {"question": record.question, "answer": record.answer, "route": record.route, "cited": record.citations}


def _record_from_json(data: dict):  # type: ignore[no-untyped-def]
    from bot.teams.conversation import AnswerRecord

    return AnswerRecord(data["question"], data["answer"], data["route"], tuple(data["cited"]))


def make_transport(settings: Settings):
    """SMTP if SMTP_HOST is set, else Graph if GRAPH_* are set, else .eml files in MAIL_DIR."""
    from bot.mail.transports import FolderTransport, GraphTransport, SmtpTransport

    if settings.smtp_host:
        log.info("escalation email: SMTP %s:%d", settings.smtp_host, settings.smtp_port)
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_tls,
        )
    if settings.graph_client_id and settings.graph_tenant_id:
        log.info("escalation email: Microsoft Graph as %s", settings.graph_sender)
        return GraphTransport(
            settings.graph_tenant_id,
            settings.graph_client_id,
            settings.graph_client_secret,
            settings.graph_sender or settings.mail_from,
            authority=settings.graph_authority,
            graph_url=settings.graph_url,
        )
    log.warning("escalation email: no SMTP_HOST or GRAPH_* configured; writing .eml files to %s", settings.mail_dir)
    return FolderTransport(settings.mail_dir)


def make_store(settings: Settings, engine=None):
    import bot.store.escalations as tables
    from bot.store.db import open_database

    engine = engine or open_database(settings.database_url)
    return tables.EscalationStore(engine, lease_seconds=settings.outbox_lease_seconds)


def make_sender(settings: Settings, store, on_delivered=None):
    from bot.mail.sender import OutboxSender

    return OutboxSender(
        store,
        make_transport(settings),
        settings.mail_from,
        settings.ig_mailbox,
        on_delivered=on_delivered,
        max_attempts=settings.outbox_max_attempts,
        backoff_max=settings.outbox_backoff_max,
        poll_seconds=settings.outbox_poll_seconds,
    )


def make_cases(settings: Settings, adapter, flow):
    """IG cases: the desk the commands and buttons use, the worker posting replies into staff chats, and
    the outbox's sender working through the IG mailbox's copies of those replies."""
    from bot.mail.message import build_reply_copy
    from bot.mail.sender import OutboxSender
    from bot.store.case_mail import CaseMailStore
    from bot.store.cases import CaseStore
    from bot.teams.case_replies import ReplyPoster
    from bot.teams.cases import CaseDesk

    engine = flow.store.engine
    store = CaseStore(engine, lease_seconds=settings.outbox_lease_seconds)
    mail = CaseMailStore(engine, flow.store.domain, lease_seconds=settings.outbox_lease_seconds)
    poster = ReplyPoster(
        store, adapter, settings.app_id, settings.ig_team, settings.outbox_poll_seconds, settings.outbox_backoff_max
    )
    copies = OutboxSender(
        mail,
        make_transport(settings),
        settings.mail_from,
        settings.ig_mailbox,
        max_attempts=settings.outbox_max_attempts,
        backoff_max=settings.outbox_backoff_max,
        poll_seconds=settings.outbox_poll_seconds,
        build=build_reply_copy,
        name="case-mail-sender",
    )
    desk = CaseDesk(store, flow.offers, mail, settings, wake=[poster.wake, copies.wake])
    return desk, (poster, copies)


def make_escalations(settings: Settings, adapter, state, engine=None):
    """The escalation flow (Teams side) and the outbox sender that tells it about deliveries."""
    import datetime as dt

    from bot.store.offers import OfferStore
    from bot.teams.escalation import EscalationFlow

    store = make_store(settings, engine)
    offers = OfferStore(store.engine, dt.timedelta(hours=settings.escalation_offer_hours))
    flow = EscalationFlow(store, offers, adapter, settings.app_id, settings.ig_mailbox, team=settings.ig_team)
    sender = make_sender(settings, store, on_delivered=flow.notify_delivered)
    flow.wake_sender = sender.wake
    state.probes.append(store.backlog)
    return flow, sender
