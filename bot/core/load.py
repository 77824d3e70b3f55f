"""Read knowledge files into Documents: text, metadata and heading structure."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from bot.core.loaders.docx import load_docx
from bot.core.loaders.html import load_html
from bot.core.loaders.pdf import load_pdf
from bot.core.loaders.structure import Block, sections_from_blocks
from bot.core.records import CuratedQuestion, Document, Section
from bot.errors import LoadError

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _meta_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _markdown_sections(body: str) -> list[Section]:
    """Split Markdown on headings (not inside code fences), keeping the path of enclosing headings."""
    blocks: list[Block] = []
    in_fence = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        blocks.append((len(match.group(1)), match.group(2)) if match else (None, line))
    return sections_from_blocks(blocks)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8-sig")


def _load_markdown(raw: bytes, path: Path) -> tuple[dict[str, Any], list[Section]]:
    post = frontmatter.loads(_decode(raw))
    return dict(post.metadata), _markdown_sections(post.content)


def _load_text(raw: bytes, path: Path) -> tuple[dict[str, Any], list[Section]]:
    post = frontmatter.loads(_decode(raw))  # front matter is allowed in text files too
    text = post.content.strip()
    return dict(post.metadata), [Section((), text)] if text else []


Loader = Callable[[bytes, Path], tuple[dict[str, Any], list[Section]]]
LOADERS: dict[str, Loader] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": load_html,
    ".htm": load_html,
    ".docx": load_docx,
    ".pdf": load_pdf,
}
SIDECAR_SUFFIXES = (".yml", ".yaml")


def sidecar(path: Path) -> Path | None:
    """Metadata beside a file: `policy.pdf.yml` (or `policy.yml`), since a PDF has no front matter."""
    for candidate in (path.with_name(path.name + s) for s in SIDECAR_SUFFIXES):
        if candidate.is_file():
            return candidate
    for candidate in (path.with_suffix(s) for s in SIDECAR_SUFFIXES):
        if candidate.is_file():
            return candidate
    return None


def _sidecar_meta(path: Path) -> dict[str, Any]:
    side = sidecar(path)
    if side is None:
        return {}
    data = yaml.safe_load(side.read_text(encoding="utf-8-sig"))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{side.name} must be a mapping of title, url, owner, date, audience")
    return data


def supported(path: Path) -> bool:
    """Whether a file has a loader (README files in the folder are notes, not knowledge)."""
    return path.suffix.lower() in LOADERS and path.name.lower() != "readme.md"


def file_hash(path: Path) -> str:
    """Content hash used for change detection: the file plus its sidecar metadata, if any."""
    digest = hashlib.sha256(path.read_bytes())
    side = sidecar(path)
    if side is not None:
        digest.update(b"\x00sidecar\x00" + side.read_bytes())
    return digest.hexdigest()


def load_document(path: Path, root: Path) -> Document:
    """Load one file; raise LoadError with a reason a person can act on."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path.name}: unsupported file type {path.suffix!r}")
    try:
        meta, sections = loader(path.read_bytes(), path)
        meta.update(_sidecar_meta(path))  # the sidecar is written by a person: it wins
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:  # yaml errors are ValueErrors too
        raise LoadError(f"{path.name}: {exc}") from exc
    except Exception as exc:  # a parser bug must not stop a whole refresh
        raise LoadError(f"{path.name}: {type(exc).__name__}: {exc}") from exc
    title = _meta_value(meta.get("title")) or path.stem.replace("-", " ").replace("_", " ").strip()
    return Document(
        source=path.relative_to(root).as_posix(),
        title=title,
        sections=tuple(sections),
        content_hash=file_hash(path),
        url=_meta_value(meta.get("url")),
        date=_meta_value(meta.get("date")),
        meta={k: _meta_value(v) for k, v in meta.items()},
    )


def iter_knowledge_files(root: Path) -> Iterator[Path]:
    """Every loadable file under root, in a stable order; hidden files skipped."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if path.is_file() and not any(p.startswith(".") for p in rel) and supported(path):
            yield path


def _front_matter(path: Path) -> dict[str, Any]:
    """A Markdown or text file's front matter (other formats have none: they use a sidecar)."""
    if LOADERS.get(path.suffix.lower()) not in (_load_markdown, _load_text):
        return {}
    return dict(frontmatter.loads(_decode(path.read_bytes())).metadata)


def curated_questions(root: Path) -> list[CuratedQuestion]:
    """Questions a document's owner wrote for staff to click, from `questions:` in its front
    matter or sidecar. Each item is a question, or a mapping with `question` and a short `title`
    for its button. Unreadable files are skipped here: `python -m bot index` reports them."""
    found: list[CuratedQuestion] = []
    for path in iter_knowledge_files(root):
        try:
            meta = _front_matter(path)
            meta.update(_sidecar_meta(path))
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue
        items = meta.get("questions")
        source = path.relative_to(root).as_posix()
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                question, title = str(item.get("question") or "").strip(), str(item.get("title") or "").strip()
            else:
                question, title = str(item or "").strip(), ""
            if question:
                found.append(CuratedQuestion(source, question, title or None))
    return found
