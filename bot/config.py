"""All configuration in one validated object, read from the environment (and a .env file)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.package import DEFAULT_PRIVACY_URL

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Names follow contract 4 (HOST, PORT, MicrosoftApp*) and the Bot Framework samples."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST", "host"))
    port: int = Field(3978, ge=1, le=65535, validation_alias=AliasChoices("PORT", "port"))
    app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "app_id"))
    app_password: str = Field("", validation_alias=AliasChoices("MicrosoftAppPassword", "app_password"))
    app_type: str = Field("MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "app_type"))
    app_tenant_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppTenantId", "app_tenant_id"))
    knowledge_dir: Path = Field(ROOT / "knowledge", validation_alias=AliasChoices("KNOWLEDGE_DIR", "knowledge_dir"))
    index_dir: Path = Field(ROOT / "index", validation_alias=AliasChoices("INDEX_DIR", "index_dir"))
    ig_mailbox: str = Field(
        "informationgovernance@lancashire.gov.uk", validation_alias=AliasChoices("IG_MAILBOX", "ig_mailbox")
    )
    ig_team: str = Field(
        "Information Governance Team",
        validation_alias=AliasChoices("IG_TEAM", "ig_team"),
        description="The team's name in every text that sends staff to it (welcome, help, declines).",
    )
    source_stale_months: int = Field(
        12,
        ge=1,
        validation_alias=AliasChoices("SOURCE_STALE_MONTHS", "source_stale_months"),
        description="An answer quoting a document dated longer ago than this says it may be out of date.",
    )
    database_url: str = Field(
        f"sqlite:///{ROOT / 'data' / 'bot.sqlite3'}", validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    ig_members: str = Field(
        "",
        validation_alias=AliasChoices("IG_MEMBERS", "ig_members"),
        description="Comma-separated Entra (AAD) object ids of IG team members, who may run IG commands.",
    )
    allowed_tenant_ids: str = Field(
        "",
        validation_alias=AliasChoices("ALLOWED_TENANT_IDS", "allowed_tenant_ids"),
        description="Comma-separated Entra tenant ids served; with an app id, other tenants get 403.",
    )
    conversation_memory_items: int = Field(
        10_000,
        ge=0,
        validation_alias=AliasChoices("CONVERSATION_MEMORY_ITEMS", "conversation_memory_items"),
        description="How many conversations' last (redacted) question are kept for follow-ups.",
    )
    conversation_memory_minutes: float = Field(
        30.0,
        ge=0,
        validation_alias=AliasChoices("CONVERSATION_MEMORY_MINUTES", "conversation_memory_minutes"),
        description="How long a follow-up can refer back to the previous question.",
    )
    escalation_offer_hours: float = Field(
        24.0,
        gt=0,
        validation_alias=AliasChoices("ESCALATION_OFFER_HOURS", "escalation_offer_hours"),
        description="How long the IG hand-off card can be sent after it is offered; then it asks for a new one.",
    )
    # Escalation email (issue 3). No SMTP_HOST and no GRAPH_*: .eml files in MAIL_DIR.
    smtp_host: str = Field("", validation_alias=AliasChoices("SMTP_HOST", "smtp_host"))
    smtp_port: int = Field(587, ge=1, le=65535, validation_alias=AliasChoices("SMTP_PORT", "smtp_port"))
    smtp_starttls: bool = Field(True, validation_alias=AliasChoices("SMTP_STARTTLS", "smtp_starttls"))
    smtp_tls: bool = Field(False, validation_alias=AliasChoices("SMTP_TLS", "smtp_tls"))
    smtp_username: str = Field("", validation_alias=AliasChoices("SMTP_USERNAME", "smtp_username"))
    smtp_password: str = Field("", validation_alias=AliasChoices("SMTP_PASSWORD", "smtp_password"))
    mail_from: str = Field(
        "governance-assistant@lancashire.gov.uk", validation_alias=AliasChoices("MAIL_FROM", "mail_from")
    )
    graph_tenant_id: str = Field("", validation_alias=AliasChoices("GRAPH_TENANT_ID", "graph_tenant_id"))
    graph_client_id: str = Field("", validation_alias=AliasChoices("GRAPH_CLIENT_ID", "graph_client_id"))
    graph_client_secret: str = Field("", validation_alias=AliasChoices("GRAPH_CLIENT_SECRET", "graph_client_secret"))
    graph_sender: str = Field("", validation_alias=AliasChoices("GRAPH_SENDER", "graph_sender"))
    graph_authority: str = Field(
        "https://login.microsoftonline.com", validation_alias=AliasChoices("GRAPH_AUTHORITY", "graph_authority")
    )
    graph_url: str = Field("https://graph.microsoft.com", validation_alias=AliasChoices("GRAPH_URL", "graph_url"))
    mail_dir: Path = Field(ROOT / "data" / "mail", validation_alias=AliasChoices("MAIL_DIR", "mail_dir"))
    outbox_max_attempts: int = Field(
        12, ge=1, validation_alias=AliasChoices("OUTBOX_MAX_ATTEMPTS", "outbox_max_attempts")
    )
    outbox_backoff_max: float = Field(
        600.0, gt=0, validation_alias=AliasChoices("OUTBOX_BACKOFF_MAX", "outbox_backoff_max")
    )
    outbox_poll_seconds: float = Field(
        30.0, gt=0, validation_alias=AliasChoices("OUTBOX_POLL_SECONDS", "outbox_poll_seconds")
    )
    outbox_lease_seconds: float = Field(
        300.0,
        gt=0,
        validation_alias=AliasChoices("OUTBOX_LEASE_SECONDS", "outbox_lease_seconds"),
        description="How long a sender's claim on an email holds; after a crash the email is resent once it lapses.",
    )
    hnsw_above: int = Field(
        20_000,
        ge=0,
        validation_alias=AliasChoices("HNSW_ABOVE", "hnsw_above"),
        description="Indexes with more passages than this use FAISS HNSW (approximate) instead of exact search.",
    )
    index_poll_seconds: float = Field(
        5.0,
        gt=0,
        validation_alias=AliasChoices("INDEX_POLL_SECONDS", "index_poll_seconds"),
        description="How often the running bot checks index/current for a new build.",
    )
    max_body_bytes: int = Field(1024 * 1024, validation_alias=AliasChoices("MAX_BODY_BYTES", "max_body_bytes"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    # Oversight (issue 7): how long records are kept, and the privacy notice the bot links to.
    retention_log_days: int = Field(30, ge=1, validation_alias=AliasChoices("RETENTION_LOG_DAYS", "retention_log_days"))
    retention_feedback_days: int = Field(
        30, ge=1, validation_alias=AliasChoices("RETENTION_FEEDBACK_DAYS", "retention_feedback_days")
    )
    retention_escalation_days: int = Field(
        365, ge=1, validation_alias=AliasChoices("RETENTION_ESCALATION_DAYS", "retention_escalation_days")
    )
    privacy_url: str = Field(
        DEFAULT_PRIVACY_URL,  # a placeholder, as for `python -m bot package`: set the real notice
        validation_alias=AliasChoices("PRIVACY_URL", "privacy_url"),
    )
    log_format: str = Field("json", pattern="^(json|text)$", validation_alias=AliasChoices("LOG_FORMAT", "log_format"))
    # Embeddings: "onnx" (ONNX Runtime, exported once into model_cache_dir) or "torch"
    # (sentence-transformers); both give the same vectors, onnx is faster (docs/benchmarks.md).
    embed_backend: str = Field(
        "onnx", pattern="^(onnx|torch)$", validation_alias=AliasChoices("EMBED_BACKEND", "embed_backend")
    )
    model_cache_dir: Path = Field(
        Path("~/.cache/lcc-governance-assistant"),
        validation_alias=AliasChoices("MODEL_CACHE_DIR", "model_cache_dir"),
    )
    embed_threads: int = Field(0, ge=0, le=64, validation_alias=AliasChoices("EMBED_THREADS", "embed_threads"))
    # Throughput (see docs/benchmarks.md): concurrent questions share one embedding batch.
    batching: bool = Field(True, validation_alias=AliasChoices("BATCHING", "batching"))
    batch_window_ms: float = Field(
        3.0, ge=0, le=100, validation_alias=AliasChoices("BATCH_WINDOW_MS", "batch_window_ms")
    )
    answer_cache_size: int = Field(4096, ge=0, validation_alias=AliasChoices("ANSWER_CACHE_SIZE", "answer_cache_size"))
    typing_delay_ms: int = Field(1000, ge=0, validation_alias=AliasChoices("TYPING_DELAY_MS", "typing_delay_ms"))
    # Bot Framework endpoints, overridable for other clouds and for local tests; empty = public cloud.
    openid_metadata_url: str = Field(
        "", validation_alias=AliasChoices("BOT_OPENID_METADATA_URL", "openid_metadata_url")
    )
    login_url: str = Field("", validation_alias=AliasChoices("BOT_LOGIN_URL", "login_url"))

    @property
    def ig_member_ids(self) -> frozenset[str]:
        return frozenset(x.strip().lower() for x in self.ig_members.split(",") if x.strip())

    @property
    def allowed_tenants(self) -> frozenset[str]:
        return frozenset(x.strip().lower() for x in self.allowed_tenant_ids.split(",") if x.strip())

    @property
    def anonymous(self) -> bool:
        """No app id: local development without Bot Framework authentication."""
        return not self.app_id.strip()

    def host_is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def check_safe_to_serve(self) -> None:
        """Refuse to expose an unauthenticated bot beyond this machine."""
        if self.anonymous and not self.host_is_loopback():
            raise ValueError(
                f"refusing to listen on {self.host} without MicrosoftAppId: anonymous mode is for "
                "loopback only (HOST=127.0.0.1). Set MicrosoftAppId and MicrosoftAppPassword."
            )
        if not self.anonymous and not self.app_password and self.app_type != "UserAssignedMSI":
            raise ValueError("MicrosoftAppId is set but MicrosoftAppPassword is empty")
