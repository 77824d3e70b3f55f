"""HTML pages (intranet exports): h1-h6 become the heading path, page furniture is dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

from bot.core.loaders.structure import Block, sections_from_blocks
from bot.core.records import Section

_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCKS = {"p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption", "caption", "address"}
_NOISE = ["script", "style", "noscript", "template", "nav", "header", "footer", "form", "svg", "iframe"]
_META = {"author": "owner", "owner": "owner", "date": "date", "dcterms.date": "date", "audience": "audience"}


def _blocks(root: Tag) -> list[Block]:
    """Headings and the outermost text blocks, in document order (nested blocks not repeated)."""
    out: list[Block] = []
    for el in root.find_all(list(_HEADINGS) + list(_BLOCKS)):
        if el.name in _HEADINGS:
            out.append((_HEADINGS[el.name], el.get_text()))
        elif not any(p.name in _BLOCKS or p.name in _HEADINGS for p in el.parents):
            out.append((None, el.get_text()))
    if not out:  # a page of bare text without block markup
        out.append((None, root.get_text(" ", strip=True)))
    return out


def load_html(raw: bytes, path: Path) -> tuple[dict[str, Any], list[Section]]:
    soup = BeautifulSoup(raw, "html.parser")
    meta: dict[str, Any] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    for tag in soup.find_all("meta"):
        key = _META.get(str(tag.get("name", "")).lower())
        if key and tag.get("content"):
            meta.setdefault(key, str(tag["content"]))
    canonical = soup.find("link", rel="canonical")
    if canonical is not None and canonical.get("href"):
        meta["url"] = str(canonical["href"])
    for name in _NOISE:
        for el in soup.find_all(name):
            el.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    root = soup.find("main") or soup.body or soup
    return meta, sections_from_blocks(_blocks(root))
