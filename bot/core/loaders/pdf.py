"""PDFs: one section run per page, so a citation can say which page a quote is on.

PDFs carry no reliable heading markup; the outline (bookmarks), when there is one, names the
section each page belongs to.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from bot.core.records import Section
from bot.errors import PdfProblem


def _outline_titles(reader: PdfReader) -> dict[int, str]:
    """First page index -> bookmark title, for top-level and nested bookmarks alike."""
    starts: dict[int, str] = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a broken bookmark is no reason to lose the text
                continue
            if page is not None and page >= 0:
                starts.setdefault(page, str(item.title).strip())

    try:
        walk(reader.outline)
    except Exception:
        return {}
    return starts


def load_pdf(raw: bytes, path: Path) -> tuple[dict[str, Any], list[Section]]:
    reader = PdfReader(io.BytesIO(raw))
    if reader.is_encrypted:
        raise PdfProblem("the PDF is password-protected; save an unprotected copy")
    starts = _outline_titles(reader)
    sections: list[Section] = []
    heading = ""
    for number, page in enumerate(reader.pages):
        heading = starts.get(number, heading)
        text = "\n".join(line.strip() for line in (page.extract_text() or "").splitlines() if line.strip())
        if text:
            sections.append(Section((heading,) if heading else (), text, number + 1))
    if not sections:
        raise PdfProblem("the PDF has no text layer (a scan?); add a text version")
    meta: dict[str, Any] = {}
    info = reader.metadata
    if info is not None:
        if info.title:
            meta["title"] = str(info.title)
        if info.author:
            meta["owner"] = str(info.author)
    return meta, sections
