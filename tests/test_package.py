"""Tests for bot.package: the Teams app package (zip) and its manifest."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bot.package import DEFAULT_MANIFEST_DIR, build_package, package_cmd

APP_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PRIVACY = "https://example.org/privacy"
TERMS = "https://example.org/terms"
WEBSITE = "https://example.org/support"
ROOT_FILES = ["manifest.json", "color.png", "outline.png"]


def _build(manifest_dir: Path, out: Path, app_id: str = APP_ID) -> Path:
    return build_package(manifest_dir, out, app_id, PRIVACY, TERMS, WEBSITE)


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    return _build(DEFAULT_MANIFEST_DIR, tmp_path / "dist" / "governance-assistant.zip")


@pytest.fixture()
def manifest(package: Path) -> dict:
    with zipfile.ZipFile(package) as archive:
        return json.loads(archive.read("manifest.json").decode("utf-8"))


@pytest.fixture()
def manifest_copy(tmp_path: Path) -> Path:
    """A writable copy of manifest/ for tests that break something."""
    copy = tmp_path / "manifest"
    shutil.copytree(DEFAULT_MANIFEST_DIR, copy)
    return copy


def _image(package: Path, name: str) -> Image.Image:
    with zipfile.ZipFile(package) as archive:
        image = Image.open(archive.open(name))
        image.load()
    return image


def test_zip_holds_manifest_and_icons_at_its_root(package: Path) -> None:
    assert package.is_file()
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ROOT_FILES
        for name in ("color.png", "outline.png"):
            assert archive.read(name) == (DEFAULT_MANIFEST_DIR / name).read_bytes()


def test_icon_sizes(package: Path) -> None:
    color = _image(package, "color.png")
    outline = _image(package, "outline.png")
    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size) == ("PNG", (32, 32))


def test_outline_icon_is_white_on_transparent(package: Path) -> None:
    outline = _image(package, "outline.png").convert("RGBA")
    pixels = [outline.getpixel((x, y)) for y in range(32) for x in range(32)]
    visible = [p for p in pixels if p[3] > 0]
    assert any(p[3] == 0 for p in pixels), "background must be transparent"
    assert visible, "outline icon shows nothing"
    assert all(p[:3] == (255, 255, 255) for p in visible), "visible pixels must be white only"
    # The corners are background.
    for corner in ((0, 0), (31, 0), (0, 31), (31, 31)):
        assert outline.getpixel(corner)[3] == 0


def test_placeholders_all_replaced(package: Path, manifest: dict) -> None:
    with zipfile.ZipFile(package) as archive:
        text = archive.read("manifest.json").decode("utf-8")
    assert "{{" not in text and "}}" not in text
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["developer"]["privacyUrl"] == PRIVACY
    assert manifest["developer"]["termsOfUseUrl"] == TERMS
    assert manifest["developer"]["websiteUrl"] == WEBSITE


def test_template_uses_only_known_placeholders() -> None:
    text = (DEFAULT_MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8")
    for name in ("APP_ID", "PRIVACY_URL", "TERMS_URL", "WEBSITE_URL"):
        assert f"{{{{{name}}}}}" in text
    assert text.count("{{") == text.count("{{APP_ID}}") + 3


def test_manifest_describes_the_bot(manifest: dict) -> None:
    assert manifest["developer"]["name"] == "Lancashire County Council"
    assert manifest["name"]["short"] == "Governance Assistant"
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    full = manifest["description"]["full"]
    for phrase in (
        "council documents",
        "cites",
        "Information Governance Team",
        "personal data",
        "Do not paste personal data",
    ):
        assert phrase in full
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}

    (bot,) = manifest["bots"]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    commands = {tuple(cl["scopes"]): [c["title"] for c in cl["commands"]] for cl in bot["commandLists"]}
    # Every list is what any member of staff may run: IG-only commands (refresh, index status,
    # report, cases) are typed by the IG team, and `help` lists them to its members only.
    # `my requests` is offered in the staff member's own chat only: in a channel or group chat
    # everyone there would read the list of their requests.
    assert commands == {
        ("personal",): ["help", "about", "my requests"],
        ("team",): ["help", "about"],
        ("groupChat",): ["help", "about"],
    }
    from bot.teams.command_list import COMMANDS

    by_name = {c.name: c for c in COMMANDS}
    for command_list in bot["commandLists"]:
        for command in command_list["commands"]:
            assert not by_name[command["title"]].ig_only
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128


def test_accent_colour_matches_icon_background(manifest: dict, package: Path) -> None:
    accent = manifest["accentColor"]
    corner = _image(package, "color.png").convert("RGB").getpixel((0, 0))
    assert "#{:02X}{:02X}{:02X}".format(*corner) == accent.upper()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-a-guid",
        "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d",
        "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g",
        '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n"x"',
    ],
)
def test_invalid_guid_rejected(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out.zip"
    with pytest.raises(ValueError, match="GUID"):
        _build(DEFAULT_MANIFEST_DIR, out, app_id=bad)
    assert not out.exists()


def test_upper_case_guid_is_accepted_and_normalised(tmp_path: Path) -> None:
    package = _build(DEFAULT_MANIFEST_DIR, tmp_path / "p.zip", app_id=APP_ID.upper())
    with zipfile.ZipFile(package) as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID


@pytest.mark.parametrize(
    "url", ["http://example.org/privacy", "example.org", "", "https://", "https://example.org/a b"]
)
def test_non_https_url_rejected(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        build_package(DEFAULT_MANIFEST_DIR, tmp_path / "p.zip", APP_ID, url, TERMS, WEBSITE)


def test_url_with_quotes_stays_valid_json(tmp_path: Path) -> None:
    url = 'https://example.org/privacy?a="b"'
    package = build_package(DEFAULT_MANIFEST_DIR, tmp_path / "p.zip", APP_ID, url, TERMS, WEBSITE)
    with zipfile.ZipFile(package) as archive:
        assert json.loads(archive.read("manifest.json"))["developer"]["privacyUrl"] == url


def test_unknown_placeholder_rejected(manifest_copy: Path, tmp_path: Path) -> None:
    path = manifest_copy / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["validDomains"] = ["{{VALID_DOMAIN}}"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="VALID_DOMAIN"):
        _build(manifest_copy, tmp_path / "p.zip")


def test_wrong_icon_size_rejected(manifest_copy: Path, tmp_path: Path) -> None:
    Image.new("RGB", (100, 100), "navy").save(manifest_copy / "color.png")
    with pytest.raises(ValueError, match="192x192"):
        _build(manifest_copy, tmp_path / "p.zip")


def test_coloured_outline_icon_rejected(manifest_copy: Path, tmp_path: Path) -> None:
    image = Image.open(manifest_copy / "outline.png").convert("RGBA")
    image.putpixel((16, 16), (255, 0, 0, 255))
    image.save(manifest_copy / "outline.png")
    with pytest.raises(ValueError, match="white"):
        _build(manifest_copy, tmp_path / "p.zip")


def test_opaque_outline_icon_rejected(manifest_copy: Path, tmp_path: Path) -> None:
    Image.new("RGBA", (32, 32), (255, 255, 255, 255)).save(manifest_copy / "outline.png")
    with pytest.raises(ValueError, match="transparent"):
        _build(manifest_copy, tmp_path / "p.zip")


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = _build(DEFAULT_MANIFEST_DIR, tmp_path / "a.zip")
    second = _build(DEFAULT_MANIFEST_DIR, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()


def test_cli_reads_app_id_from_env_and_warns_about_placeholder_urls(tmp_path: Path, monkeypatch) -> None:
    for name in ("PRIVACY_URL", "TERMS_URL", "WEBSITE_URL"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "dist" / "governance-assistant.zip"
    result = CliRunner().invoke(package_cmd, ["--out", str(out)], env={"MicrosoftAppId": APP_ID})
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "PRIVACY_URL" in result.output and "set the real page" in result.output
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == APP_ID
    assert manifest["developer"]["privacyUrl"] == "https://www.lancashire.gov.uk/privacy"


def test_cli_uses_url_env_vars(tmp_path: Path) -> None:
    out = tmp_path / "p.zip"
    env = {"MicrosoftAppId": APP_ID, "PRIVACY_URL": PRIVACY, "TERMS_URL": TERMS, "WEBSITE_URL": WEBSITE}
    result = CliRunner().invoke(package_cmd, ["--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["developer"]["termsOfUseUrl"] == TERMS


def test_cli_reads_urls_from_the_settings_dotenv_file(tmp_path: Path, monkeypatch) -> None:
    """The URLs are settings like any other: a .env file beside the command sets them too."""
    for name in ("PRIVACY_URL", "TERMS_URL", "WEBSITE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"PRIVACY_URL={PRIVACY}\nTERMS_URL={TERMS}\nWEBSITE_URL={WEBSITE}\n")
    out = tmp_path / "p.zip"
    result = CliRunner().invoke(package_cmd, ["--app-id", APP_ID, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    with zipfile.ZipFile(out) as archive:
        developer = json.loads(archive.read("manifest.json"))["developer"]
    assert (developer["privacyUrl"], developer["termsOfUseUrl"], developer["websiteUrl"]) == (PRIVACY, TERMS, WEBSITE)


def test_cli_rejects_bad_app_id_readably(tmp_path: Path) -> None:
    result = CliRunner().invoke(package_cmd, ["--app-id", "nope", "--out", str(tmp_path / "p.zip")])
    assert result.exit_code != 0
    assert "GUID" in result.output
    assert "Traceback" not in result.output


def test_cli_requires_app_id(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    result = CliRunner().invoke(package_cmd, ["--out", str(tmp_path / "p.zip")])
    assert result.exit_code == 2
    assert "--app-id" in result.output


def test_manifest_valid_against_official_schema(manifest: dict) -> None:
    schema_env = os.environ.get("TEAMS_MANIFEST_SCHEMA")
    if not schema_env:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true and TEAMS_MANIFEST_SCHEMA is not set: .ci/run must provide the schema")
        pytest.skip(
            "TEAMS_MANIFEST_SCHEMA is not set: run scripts/validate_manifest.sh, or export "
            'TEAMS_MANIFEST_SCHEMA="$(bash scripts/validate_manifest.sh --print-schema)"'
        )
    schema_path = Path(schema_env)
    assert schema_path.is_file(), f"TEAMS_MANIFEST_SCHEMA points to a missing file: {schema_path}"
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert f"/v{manifest['manifestVersion']}/" in schema_path.as_posix(), (
        f"schema {schema_path} does not match manifestVersion {manifest['manifestVersion']}"
    )
    # The schema declares draft-04 but uses "const" and "if"/"then": Draft 7 enforces them.
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(manifest)
    ]
    assert not errors, "\n".join(errors)
