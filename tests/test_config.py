"""Settings: every configurable thing in one object, set from the environment or a .env file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, env_name
from tests.conftest import ROOT

SETTINGS_ENV = {env_name(name, field) for name, field in Settings.model_fields.items()}


def test_environment_names_land_in_their_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """Upper-case names (HOST, IG_MAILBOX) set lower-case fields, with no alias restating them."""
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("IG_MAILBOX", "ig@example.org")
    monkeypatch.setenv("RETENTION_LOG_DAYS", "7")
    monkeypatch.setenv("TERMS_URL", "https://intranet.example.org/terms")
    monkeypatch.setenv("batching", "false")  # any case
    settings = Settings(_env_file=None)
    assert (settings.host, settings.port, settings.ig_mailbox) == ("0.0.0.0", 8080, "ig@example.org")
    assert settings.retention_log_days == 7
    assert settings.terms_url == "https://intranet.example.org/terms"
    assert settings.batching is False


def test_names_that_differ_from_the_field_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("MicrosoftAppPassword", "secret")
    monkeypatch.setenv("MicrosoftAppType", "SingleTenant")
    monkeypatch.setenv("MicrosoftAppTenantId", "tenant")
    monkeypatch.setenv("BOT_OPENID_METADATA_URL", "https://keys.example.org/")
    monkeypatch.setenv("BOT_LOGIN_URL", "https://login.example.org/")
    monkeypatch.setenv("BOT_PRIVACY_NER", "0")
    settings = Settings(_env_file=None)
    assert settings.app_id == "00000000-0000-0000-0000-000000000001"
    assert (settings.app_password, settings.app_type, settings.app_tenant_id) == ("secret", "SingleTenant", "tenant")
    assert settings.openid_metadata_url == "https://keys.example.org/"
    assert settings.login_url == "https://login.example.org/"
    assert settings.privacy_ner is False
    assert Settings(app_id="x", _env_file=None).app_id == "x"  # code and tests use field names


def test_a_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IG_TEAM", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("IG_TEAM=Data Protection Team\nWEBSITE_URL=https://intranet.example.org/\n")
    settings = Settings(_env_file=env_file)
    assert settings.ig_team == "Data Protection Team"
    assert settings.website_url == "https://intranet.example.org/"


def test_a_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "0")
    with pytest.raises(ValueError) as raised:
        Settings(_env_file=None)
    assert str(raised.value).splitlines()[1] == "OUTBOX_MAX_ATTEMPTS"  # as the operator typed it


def test_every_setting_is_described() -> None:
    undescribed = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert undescribed == []


def test_aliases_only_where_the_environment_name_differs() -> None:
    """Names in capitals come from one rule; a field spells out only a name that differs from it."""
    restating = [
        name
        for name, field in Settings.model_fields.items()
        if field.alias_priority == 2 and str(field.validation_alias).upper() == name.upper()
    ]
    assert restating == []
    spelt_out = {str(f.validation_alias) for f in Settings.model_fields.values() if f.alias_priority == 2}
    assert spelt_out == {
        "MicrosoftAppId",
        "MicrosoftAppPassword",
        "MicrosoftAppType",
        "MicrosoftAppTenantId",
        "BOT_OPENID_METADATA_URL",
        "BOT_LOGIN_URL",
        "BOT_PRIVACY_NER",
    }


def test_config_does_not_import_the_package_builder() -> None:
    """Everything imports bot.config, so it imports nothing of the bot (it used to import bot.package)."""
    code = "import sys, bot.config; print(sorted(m for m in sys.modules if m.startswith('bot.') and m != 'bot.config'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # a leaf: no bot.package, no bot.core


def test_the_cli_hands_the_name_tagger_switch_to_the_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """BOT_PRIVACY_NER=0 is read by Settings and given to the core, which reads no environment itself."""
    from bot import cli
    from bot.core import pii_presidio

    monkeypatch.setenv("BOT_PRIVACY_NER", "0")
    try:
        cli._settings()
        assert not pii_presidio.available()
    finally:
        pii_presidio.configure(enabled=True)
