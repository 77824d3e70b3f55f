"""Build the Teams app package: manifest.json, color.png and outline.png at the zip root.

The template in ``manifest/manifest.json`` holds placeholders (``{{APP_ID}}``, ``{{PRIVACY_URL}}``,
``{{TERMS_URL}}``, ``{{WEBSITE_URL}}``); :func:`build_package` fills them, checks the icons and
writes a zip that the Teams admin centre (or "Upload a custom app") accepts.

Usage: ``python -m bot package --app-id GUID --out dist/governance-assistant.zip``
(or ``python -m bot.package ...``). No botbuilder imports here.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from bot.config import DEFAULT_PRIVACY_URL, DEFAULT_TERMS_URL, DEFAULT_WEBSITE_URL, Settings

DEFAULT_MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
DEFAULT_OUT = Path("dist/governance-assistant.zip")

MANIFEST_NAME = "manifest.json"
ICON_SIZES = {"color.png": (192, 192), "outline.png": (32, 32)}
PACKAGE_FILES = (MANIFEST_NAME, *ICON_SIZES)

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HTTPS_URL = re.compile(r"https://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same bytes


def validate_app_id(app_id: str) -> str:
    """Return the app id in lower case, or raise ValueError if it is not a GUID."""
    value = (app_id or "").strip()
    if not _GUID.fullmatch(value):
        raise ValueError(
            f"app id must be a GUID such as 00000000-0000-0000-0000-000000000000 "
            f"(the Entra app id of the bot, MicrosoftAppId); got {app_id!r}"
        )
    return value.lower()


def validate_url(name: str, url: str) -> str:
    """Return the URL if it is an https URL Teams will accept, else raise ValueError."""
    value = (url or "").strip()
    if not _HTTPS_URL.fullmatch(value) or len(value) > 2048:
        raise ValueError(f"{name} must be an https:// URL of at most 2048 characters; got {url!r}")
    if _PLACEHOLDER.search(value):
        raise ValueError(f"{name} must not contain a placeholder; got {url!r}")
    return value


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), node)
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    return node


def _left_placeholders(node: Any) -> set[str]:
    if isinstance(node, str):
        return set(_PLACEHOLDER.findall(node))
    if isinstance(node, list):
        return set().union(*(_left_placeholders(item) for item in node)) if node else set()
    if isinstance(node, dict):
        found: set[str] = set()
        for key, value in node.items():
            found |= _left_placeholders(key) | _left_placeholders(value)
        return found
    return set()


def fill_manifest(
    template: dict[str, Any], app_id: str, privacy_url: str, terms_url: str, website_url: str
) -> dict[str, Any]:
    """Return a copy of the manifest template with every placeholder filled and checked."""
    values = {
        "APP_ID": validate_app_id(app_id),
        "PRIVACY_URL": validate_url("privacy URL", privacy_url),
        "TERMS_URL": validate_url("terms of use URL", terms_url),
        "WEBSITE_URL": validate_url("website URL", website_url),
    }
    manifest = _fill(template, values)
    left = _left_placeholders(manifest)
    if left:
        names = ", ".join(f"{{{{{name}}}}}" for name in sorted(left))
        raise ValueError(f"manifest has placeholders that build_package does not fill: {names}")
    return manifest


def check_icons(manifest_dir: Path, manifest: dict[str, Any] | None = None) -> None:
    """Raise ValueError unless color.png is 192x192 and outline.png is a 32x32 white-on-transparent PNG."""
    from PIL import Image  # Pillow: only needed when packaging

    if manifest is not None:
        icons = manifest.get("icons", {})
        expected = {"color": "color.png", "outline": "outline.png"}
        for key, name in expected.items():
            if icons.get(key) != name:
                raise ValueError(
                    f"manifest icons.{key} must be {name!r} (the file at the zip root); got {icons.get(key)!r}"
                )
    for name, size in ICON_SIZES.items():
        path = manifest_dir / name
        if not path.is_file():
            raise ValueError(f"icon missing: {path}")
        with Image.open(path) as image:
            if image.format != "PNG":
                raise ValueError(f"{path} must be a PNG, not {image.format}")
            if image.size != size:
                raise ValueError(f"{path} must be {size[0]}x{size[1]} pixels, not {image.size[0]}x{image.size[1]}")
            if name == "outline.png":
                _check_outline(path, image.convert("RGBA"))


def _check_outline(path: Path, image: Any) -> None:
    alpha = image.getchannel("A")
    low, high = alpha.getextrema()
    if low != 0:
        raise ValueError(f"{path} must have a transparent background (no fully transparent pixel found)")
    if high == 0:
        raise ValueError(f"{path} is fully transparent: nothing would be shown")
    for band in "RGB":
        channel = image.getchannel(band)
        # Look only at pixels that show at all (alpha > 0): they must be pure white.
        visible = channel.point(lambda v: v)  # copy
        visible.paste(255, mask=alpha.point(lambda a: 255 if a == 0 else 0))
        if visible.getextrema()[0] != 255:
            raise ValueError(
                f"{path} must be white only (Teams outline icons): found a visible pixel that is not white"
            )


def build_package(
    manifest_dir: Path, out: Path, app_id: str, privacy_url: str, terms_url: str, website_url: str
) -> Path:
    """Fill the manifest template, check the icons and write the app package zip to ``out``.

    Raises ValueError with a readable message if the app id is not a GUID, a URL is not https,
    a placeholder is left unfilled or an icon breaks Teams' rules.
    """
    manifest_dir = Path(manifest_dir)
    out = Path(out)
    template_path = manifest_dir / MANIFEST_NAME
    try:
        template = json.loads(template_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"manifest template not found: {template_path}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{template_path} is not valid JSON: {error}") from None
    manifest = fill_manifest(template, app_id, privacy_url, terms_url, website_url)
    check_icons(manifest_dir, manifest)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        _add(archive, MANIFEST_NAME, text.encode("utf-8"))
        for name in ICON_SIZES:
            _add(archive, name, (manifest_dir / name).read_bytes())

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".package-", suffix=".zip", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


@click.command("package")
@click.option(
    "--app-id",
    envvar="MicrosoftAppId",
    required=True,
    metavar="GUID",
    help="Entra app id of the bot, used as the Teams app id and bot id [env: MicrosoftAppId].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_OUT,
    show_default=True,
    help="Where to write the zip.",
)
@click.option(
    "--privacy-url",
    default=None,
    help=f"Privacy notice URL [default: the PRIVACY_URL setting; placeholder {DEFAULT_PRIVACY_URL}].",
)
@click.option(
    "--terms-url",
    default=None,
    help=f"Terms of use URL [default: the TERMS_URL setting; placeholder {DEFAULT_TERMS_URL}].",
)
@click.option(
    "--website-url",
    default=None,
    help=f"Support/website URL [default: the WEBSITE_URL setting; placeholder {DEFAULT_WEBSITE_URL}].",
)
@click.option(
    "--manifest-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=DEFAULT_MANIFEST_DIR,
    show_default="manifest/",
    help="Folder with manifest.json, color.png and outline.png.",
)
def package_cmd(
    app_id: str, out: Path, privacy_url: str | None, terms_url: str | None, website_url: str | None, manifest_dir: Path
) -> None:
    """Build the Teams app package (zip) for upload in the Teams admin centre.

    The privacy, terms and website URLs must be set to the council's real pages before the
    package is published; the defaults are placeholders.
    """
    try:
        validate_app_id(app_id)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    try:
        settings = Settings()  # PRIVACY_URL, TERMS_URL, WEBSITE_URL from the environment or .env
    except ValidationError as error:
        raise click.ClickException(f"configuration error: {error}") from None
    urls = {}
    for label, env, given, default in (
        ("privacy URL", "PRIVACY_URL", privacy_url or settings.privacy_url, DEFAULT_PRIVACY_URL),
        ("terms of use URL", "TERMS_URL", terms_url or settings.terms_url, DEFAULT_TERMS_URL),
        ("website URL", "WEBSITE_URL", website_url or settings.website_url, DEFAULT_WEBSITE_URL),
    ):
        if not given or given == default:
            click.echo(
                f"warning: {label} not set (--{env.lower().replace('_', '-')} or env {env}); "
                f"using the placeholder {default}: set the real page before publishing",
                err=True,
            )
            given = default
        urls[env] = given
    try:
        path = build_package(manifest_dir, out, app_id, urls["PRIVACY_URL"], urls["TERMS_URL"], urls["WEBSITE_URL"])
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {path}", err=True)


if __name__ == "__main__":  # python -m bot.package
    package_cmd(prog_name=f"{Path(sys.executable).name} -m bot.package")
