"""Turn a stream of headings and paragraphs into Sections with heading paths."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.records import Section

Block = tuple[int | None, str]  # (heading level 1-6, or None for body text; text)


def sections_from_blocks(blocks: Iterable[Block], page: int | None = None) -> list[Section]:
    """A heading closes the running section and replaces headings at its level or below."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(tuple(h for _, h in path), text, page))
        lines.clear()

    for level, text in blocks:
        text = " ".join(text.split())
        if not text:
            continue
        if level is None:
            lines.append(text)
            continue
        flush()
        path = [(lvl, h) for lvl, h in path if lvl < level]
        path.append((level, text))
    flush()
    return sections
