"""Markdown as blocks (paragraphs, bullets, table rows, captions) with exact spans, and sentence windows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import sentence_spans, strip_markdown


@dataclass(frozen=True)
class Block:
    """A paragraph-level unit of a markdown file: kind, span, and the heading above it."""

    kind: str
    start: int
    end: int
    section: str
    section_title: str
    label: str = ""  # bold lead-in of a bullet, e.g. "Distributed Systems and Scalable Infrastructure"


_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_NUMBERED_SECTION = re.compile(r"^(\d+)\s+(.*)$")


def markdown_blocks(text: str) -> list[Block]:
    """Split markdown into blocks: each bullet, numbered item, table row, caption or paragraph."""
    blocks: list[Block] = []
    section, section_title = "Title", "Title"
    pos = 0
    lines = text.split("\n")
    paragraph_start: int | None = None
    paragraph_end = 0

    def flush() -> None:
        nonlocal paragraph_start
        if paragraph_start is not None:
            chunk = text[paragraph_start:paragraph_end]
            kind = "caption" if re.match(r"^\*\*(Fig\.|Table) \d+", chunk) else "paragraph"
            blocks.append(Block(kind, paragraph_start, paragraph_end, section, section_title))
            paragraph_start = None

    for line in lines:
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.strip()
        heading = _HEADING.match(line)
        if heading:
            flush()
            title = heading.group(2).strip()
            numbered = _NUMBERED_SECTION.match(title)
            if len(heading.group(1)) == 1:
                section, section_title = "Title", title
            elif numbered:
                section, section_title = numbered.group(1), numbered.group(2)
            else:
                section, section_title = title, title
            continue
        if not stripped:
            flush()
            continue
        lead = len(line) - len(line.lstrip())
        item = re.match(r"^(?:[-*]|\d+\.)\s+", line.lstrip())
        if item or stripped.startswith("|"):
            flush()
            if stripped.startswith("|"):
                if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", stripped):
                    continue  # the header separator row carries no content
                blocks.append(Block("table-row", start + lead, end, section, section_title))
                continue
            body_start = start + lead + item.end()
            label = re.match(r"^\*\*([^*]+?):?\*\*", text[body_start:end])
            kind = "bullet"
            blocks.append(Block(kind, body_start, end, section, section_title,
                                strip_markdown(label.group(1)).rstrip(":") if label else ""))
            continue
        if paragraph_start is None:
            paragraph_start = start + lead
        paragraph_end = end
    flush()
    return blocks


def sentence_windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Group the sentences of text[start:end] into consecutive windows of at most max_words
    words (a single longer sentence stays whole)."""
    spans = sentence_spans(text[start:end], offset=start)
    windows: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    words = 0
    for s, e in spans:
        n = len(text[s:e].split())
        if current and words + n > max_words:
            windows.append((current[0][0], current[-1][1]))
            current, words = [], 0
        current.append((s, e))
        words += n
    if current:
        windows.append((current[0][0], current[-1][1]))
    # Avoid a dangling tiny last window: merge it into its predecessor if that stays reasonable.
    if len(windows) >= 2:
        last_words = len(text[windows[-1][0] : windows[-1][1]].split())
        prev_words = len(text[windows[-2][0] : windows[-2][1]].split())
        if last_words < max_words // 4 and prev_words + last_words <= max_words * 1.3:
            windows[-2:] = [(windows[-2][0], windows[-1][1])]
    return windows


