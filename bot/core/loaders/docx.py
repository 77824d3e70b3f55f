"""Word documents: paragraphs styled Heading 1-9 (or Title) become the heading path."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from bot.core.loaders.structure import Block, sections_from_blocks
from bot.core.records import Section

_LEVEL = re.compile(r"heading\s*(\d)", re.IGNORECASE)


def _level(paragraph: Paragraph) -> int | None:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower() == "title":
        return 1
    match = _LEVEL.match(name)
    return min(int(match.group(1)), 6) if match else None


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:  # merged cells repeat: keep each text once per row
            text = cell.text.strip()
            if text and text not in cells:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells) + ".")
    return rows


def load_docx(raw: bytes, path: Path) -> tuple[dict[str, Any], list[Section]]:
    document = docx.Document(io.BytesIO(raw))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.append((_level(item), item.text))
        else:
            blocks.extend((None, row) for row in _table_rows(item))
    props = document.core_properties
    meta: dict[str, Any] = {}
    if props.title:
        meta["title"] = props.title
    if props.author:
        meta["owner"] = props.author
    return meta, sections_from_blocks(blocks)
