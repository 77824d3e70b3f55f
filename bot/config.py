"""All configuration in one validated object, read from the environment (and a .env file)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    database_url: str = Field(
        f"sqlite:///{ROOT / 'data' / 'bot.sqlite3'}", validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    ig_members: str = Field(
        "",
        validation_alias=AliasChoices("IG_MEMBERS", "ig_members"),
        description="Comma-separated Entra (AAD) object ids of IG team members, who may run IG commands.",
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

    @property
    def ig_member_ids(self) -> frozenset[str]:
        return frozenset(x.strip().lower() for x in self.ig_members.split(",") if x.strip())

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
