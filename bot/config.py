"""All configuration in one validated object, read from the environment (and a .env file).

Every field has a ``description``: ``docs/configuration.md``'s table is generated from them
(``make docs``, or ``python -m bot.config --write docs/configuration.md``), and a test fails when
the table is stale. Environment names are the field names in capitals (matched in any case:
``HOST`` sets ``host``); only names that differ, such as ``MicrosoftAppId``, are spelt out.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import AliasGenerator, Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Stand-ins only: the council's real privacy notice, terms of use and support pages must be set
# (PRIVACY_URL, TERMS_URL, WEBSITE_URL) before the Teams app package is published.
DEFAULT_PRIVACY_URL = "https://www.lancashire.gov.uk/privacy"
DEFAULT_TERMS_URL = "https://www.lancashire.gov.uk/terms"
DEFAULT_WEBSITE_URL = "https://www.lancashire.gov.uk/"


def _shown(default: str) -> dict[str, Any]:
    """How the configuration table shows a default that is computed (a path in the repo folder)."""
    return {"shown_default": default}


class Settings(BaseSettings):
    """Names follow the Bot Framework samples (HOST, PORT, MicrosoftApp*)."""

    # Every field is set by its name in capitals (HOST sets host, in any case), and a validation
    # error names that variable, as the operator typed it; code and tests use the field names.
    model_config = SettingsConfigDict(
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        alias_generator=AliasGenerator(validation_alias=str.upper),
    )

    # Service and Bot Framework authentication
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(3978, ge=1, le=65535, description="Port to listen on.")
    app_id: str = Field(
        "",
        validation_alias="MicrosoftAppId",
        description="The Azure Bot's app id. Empty = anonymous local mode, allowed only on a loopback `HOST`.",
    )
    app_password: str = Field(
        "",
        validation_alias="MicrosoftAppPassword",
        description="Its client secret (required when an app id is set).",
    )
    app_type: str = Field(
        "MultiTenant",
        validation_alias="MicrosoftAppType",
        description="`SingleTenant` for a single-tenant app registration.",
    )
    app_tenant_id: str = Field(
        "",
        validation_alias="MicrosoftAppTenantId",
        description="The council's tenant id (single tenant).",
    )
    allowed_tenant_ids: str = Field(
        "",
        description="Comma-separated Entra tenant ids; with an app id, activities from any other tenant get 403 "
        "and no reply. Empty = no check.",
        json_schema_extra=_shown("empty (no check)"),
    )
    openid_metadata_url: str = Field(
        "",
        validation_alias="BOT_OPENID_METADATA_URL",
        description="Where the Bot Framework's OpenID metadata (signing keys) is read; empty = Microsoft's "
        "public cloud. For other clouds and for tests.",
    )
    login_url: str = Field(
        "",
        validation_alias="BOT_LOGIN_URL",
        description="The authority the bot gets its own token from; empty = "
        "`https://login.microsoftonline.com/botframework.com` (or the tenant, single tenant).",
    )
    max_body_bytes: int = Field(1024 * 1024, description="Larger request bodies get 413.")

    # Knowledge and index
    knowledge_dir: Path = Field(
        ROOT / "knowledge", description="Source documents.", json_schema_extra=_shown("`knowledge/`")
    )
    index_dir: Path = Field(ROOT / "index", description="Built index.", json_schema_extra=_shown("`index/`"))
    index_poll_seconds: float = Field(
        5.0,
        gt=0,
        description="How often the running bot checks `index/current` for a new build (live reload).",
    )
    hnsw_above: int = Field(
        20_000,
        ge=0,
        description="Indexes with more passages than this use FAISS HNSW (approximate) instead of exact search.",
    )
    source_stale_months: int = Field(
        12,
        ge=1,
        description="Answers quoting a document dated longer ago than this say it may be out of date.",
    )

    # Texts and people
    ig_mailbox: str = Field(
        "informationgovernance@lancashire.gov.uk",
        description="Where the bot sends people for IG questions, and where escalation emails go.",
    )
    ig_team: str = Field(
        "Information Governance Team",
        description="The team's name in every text that sends staff to it (welcome, help, declines).",
    )
    ig_members: str = Field(
        "",
        description="Comma-separated Entra (AAD) object ids of IG team members: they may type `refresh`, "
        "`index status`, `report` and `cases`, and reply to and close cases.",
    )
    case_overdue_working_days: int = Field(
        5,
        ge=1,
        description="An open IG case older than this many working days (Monday to Friday) is flagged in "
        "`cases` and in the report.",
    )
    privacy_url: str = Field(
        DEFAULT_PRIVACY_URL,
        description="The privacy notice the welcome and `help` link to; also used by `python -m bot package`. "
        "The default is a placeholder: set the real notice.",
        json_schema_extra=_shown(f"`{DEFAULT_PRIVACY_URL}` (placeholder)"),
    )
    terms_url: str = Field(
        DEFAULT_TERMS_URL,
        description="The terms of use page `python -m bot package` puts in the Teams app. The default is a "
        "placeholder.",
        json_schema_extra=_shown(f"`{DEFAULT_TERMS_URL}` (placeholder)"),
    )
    website_url: str = Field(
        DEFAULT_WEBSITE_URL,
        description="The support/website page `python -m bot package` puts in the Teams app. The default is a "
        "placeholder.",
        json_schema_extra=_shown(f"`{DEFAULT_WEBSITE_URL}` (placeholder)"),
    )

    # Conversations
    conversation_memory_items: int = Field(
        10_000,
        ge=0,
        description="Conversations whose last (redacted) question is kept for follow-ups.",
    )
    conversation_memory_minutes: float = Field(
        30.0,
        ge=0,
        description="How long a follow-up can refer back to the previous question.",
    )
    typing_delay_ms: int = Field(
        1000, ge=0, description='The "typing" indicator is sent only if the answer is not ready by then.'
    )
    privacy_ner: bool = Field(
        True,
        validation_alias="BOT_PRIVACY_NER",
        description="`false` finds personal data by rules alone, without Presidio's name tagger (which finds "
        "more names, and takes a second or two to load).",
    )

    # Escalation email. No SMTP_HOST and no GRAPH_*: .eml files in MAIL_DIR.
    escalation_offer_hours: float = Field(
        24.0,
        gt=0,
        description="How long an offered IG card can be sent; after that it asks the staff member to ask again.",
    )
    smtp_host: str = Field("", description="SMTP server for escalation emails; empty = not SMTP.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (465 with `SMTP_TLS`).")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_tls: bool = Field(False, description="Implicit TLS (port 465) instead of STARTTLS.")
    smtp_username: str = Field("", description="SMTP user name, when the server wants authentication.")
    smtp_password: str = Field("", description="SMTP password, when the server wants authentication.")
    mail_from: str = Field(
        "governance-assistant@lancashire.gov.uk",
        description="Sender address of escalation emails (sent to `IG_MAILBOX`).",
    )
    graph_tenant_id: str = Field(
        "",
        description="Microsoft Graph `sendMail` with app credentials (used when `SMTP_HOST` is empty): the tenant.",
    )
    graph_client_id: str = Field("", description="Microsoft Graph: the app registration's client id.")
    graph_client_secret: str = Field("", description="Microsoft Graph: its client secret.")
    graph_sender: str = Field(
        "",
        description="The mailbox Graph sends as (`/v1.0/users/{GRAPH_SENDER}/sendMail`; needs the `Mail.Send` "
        "application permission). Empty = `MAIL_FROM`.",
        json_schema_extra=_shown("`MAIL_FROM`"),
    )
    graph_authority: str = Field("https://login.microsoftonline.com", description="Graph token authority.")
    graph_url: str = Field("https://graph.microsoft.com", description="Graph base URL.")
    mail_dir: Path = Field(
        ROOT / "data" / "mail",
        description="With neither SMTP nor Graph configured, each escalation email is an `.eml` file here "
        "(logged at start-up).",
        json_schema_extra=_shown("`data/mail/`"),
    )
    outbox_max_attempts: int = Field(12, ge=1, description="Sender attempts per email before it is marked `failed`.")
    outbox_backoff_max: float = Field(
        600.0, gt=0, description="Longest wait between attempts, in seconds (exponential backoff with full jitter)."
    )
    outbox_poll_seconds: float = Field(30.0, gt=0, description="How often the sender looks for emails to send.")
    outbox_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a sender's claim on an email holds (renewed while the send is in flight); "
        "after a crash the email is resent (same Message-ID) once it lapses.",
    )

    # Records kept
    database_url: str = Field(
        f"sqlite:///{ROOT / 'data' / 'bot.sqlite3'}",
        description="Where the conversation log (redacted), feedback, escalations and their email outbox are "
        "kept. PostgreSQL for several replicas: `postgresql://USER:PASSWORD@HOST:5432/DATABASE` (psycopg 3). "
        "The schema is migrated at start-up; a bad or unreachable URL stops the bot with one line and exit "
        "code 2. See [replicas.md](replicas.md).",
        json_schema_extra=_shown("`sqlite:///data/bot.sqlite3` (in the repo folder)"),
    )
    retention_log_days: int = Field(30, ge=1, description="Days the conversation log (redacted questions) is kept.")
    retention_feedback_days: int = Field(30, ge=1, description="Days feedback is kept.")
    retention_escalation_days: int = Field(
        365,
        ge=1,
        description="Days a *delivered* escalation is kept (pending or failed ones are kept until delivered).",
    )

    # Logs
    log_level: str = Field("INFO", description="Logging level.")
    log_format: str = Field(
        "json",
        pattern="^(json|text)$",
        description="`json`: one JSON object per line (`time`, `level`, `logger`, `message`, `correlation_id`); "
        "`text` for reading by eye.",
    )

    # Speed (docs/performance.md). Embeddings: "onnx" (ONNX Runtime, exported once into
    # model_cache_dir) or "torch" (sentence-transformers); the same vectors, onnx is faster.
    embed_backend: str = Field(
        "onnx",
        pattern="^(onnx|torch)$",
        description="`onnx` (ONNX Runtime) or `torch` (sentence-transformers): the same vectors, onnx is faster.",
    )
    model_cache_dir: Path = Field(
        Path("~/.cache/lcc-governance-assistant"),
        description="Where the ONNX export of the model is kept (written once, about 90 MB).",
    )
    embed_threads: int = Field(0, ge=0, le=64, description="ONNX Runtime threads per inference; `0` = one per core.")
    batching: bool = Field(
        True,
        description="Concurrent questions share one embedding batch on one worker thread; `false` answers each "
        "on its own (for comparison).",
    )
    batch_window_ms: float = Field(
        3.0,
        ge=0,
        le=100,
        description="How long the first question of a batch waits for company, when other requests are under "
        "way (a question that arrives alone never waits).",
    )
    answer_cache_size: int = Field(
        4096,
        ge=0,
        description="Repeated questions (same redacted text, ignoring case, spacing and end punctuation) are "
        "answered from memory until the index changes; `0` turns it off.",
    )

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


# The configuration table in docs/configuration.md, generated from the fields above.

TABLE_BEGIN = "<!-- settings table: generated from bot/config.py by `make docs`; edit the descriptions there -->"
TABLE_END = "<!-- end of settings table -->"


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable that sets a field: its alias (by default its name in capitals)."""
    return field.validation_alias if isinstance(field.validation_alias, str) else name.upper()


def _default_text(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "shown_default" in extra:
        return str(extra["shown_default"])
    value = field.default
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def configuration_table() -> str:
    """The Markdown table of every setting: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_name(name, field)}` | {_default_text(field)} | {meaning} |")
    return "\n".join(rows) + "\n"


def with_table(document: str) -> str:
    """``document`` with the text between the table markers replaced by the current table."""
    pattern = re.compile(re.escape(TABLE_BEGIN) + r"\n.*?" + re.escape(TABLE_END), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"no settings table markers ({TABLE_BEGIN!r} ... {TABLE_END!r})")
    return pattern.sub(lambda _: f"{TABLE_BEGIN}\n{configuration_table()}{TABLE_END}", document)


def main(argv: list[str]) -> int:
    """``python -m bot.config`` prints the table; ``--write FILE`` updates it between its markers."""
    if argv[:1] == ["--write"] and len(argv) == 2:
        path = Path(argv[1])
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if argv:
        print("usage: python -m bot.config [--write FILE]", file=sys.stderr)
        return 2
    sys.stdout.write(configuration_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
