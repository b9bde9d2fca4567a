"""Parse the corpus (paper.md, references.json, sources/*.md) into citable Passages.

Every passage is an exact span of its file (text == file_text[start:end]) so the UI can
highlight it. Passages never cross a paragraph, bullet or section boundary; long blocks are cut
into windows of whole sentences.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .text import parse_citations, sentence_spans, strip_markdown
from .types import Passage

PAPER_FILE = "paper.md"
REFERENCES_FILE = "references.json"
PAPER_TITLE = "The AI Roles Continuum: Blurring the Boundary Between Research and Engineering"
PAPER_URL = "corpus/paper.md"
VALID_REFS = range(1, 33)

TABLE_ROLES = ("Research Scientist", "Research Engineer", "Applied Scientist", "ML Engineer")


class CorpusError(ValueError):
    """A corpus file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class Reference:
    id: int
    key: str
    authors: tuple[str, ...]
    title: str
    venue: str
    year: int | None
    url: str
    kind: str
    reference_text_in_paper: str
    source_file: str | None


@dataclass(frozen=True)
class Block:
    """A paragraph-level unit of a markdown file: kind, span, and the heading above it."""

    kind: str
    start: int
    end: int
    section: str
    section_title: str
    label: str = ""  # bold lead-in of a bullet, e.g. "Distributed Systems and Scalable Infrastructure"


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_text(path: Path) -> str:
    if not path.exists():
        raise CorpusError(f"{path}: file is missing")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = line_of(path.read_bytes()[: exc.start].decode("utf-8", "replace"), exc.start)
        raise CorpusError(f"{path}:{line}: not valid UTF-8 ({exc.reason})") from exc


# ---------------------------------------------------------------- references.json


def load_references(corpus_dir: Path) -> dict[int, Reference]:
    path = corpus_dir / REFERENCES_FILE
    raw = read_text(path)
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from exc
    if not isinstance(items, list):
        raise CorpusError(f"{path}:1: expected a JSON list of references")
    refs: dict[int, Reference] = {}
    for i, item in enumerate(items):
        try:
            ref = Reference(
                id=int(item["id"]),
                key=str(item["key"]),
                authors=tuple(item.get("authors") or ()),
                title=str(item["title"]),
                venue=str(item.get("venue") or ""),
                year=int(item["year"]) if item.get("year") else None,
                url=str(item.get("url") or ""),
                kind=str(item.get("kind") or ""),
                reference_text_in_paper=str(item.get("reference_text_in_paper") or ""),
                source_file=item.get("source_file"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            anchor = f'"id": {item.get("id")}' if isinstance(item, dict) else ""
            line = line_of(raw, raw.find(anchor)) if anchor and anchor in raw else 1
            raise CorpusError(f"{path}:{line}: reference #{i + 1} is malformed ({exc!r})") from exc
        refs[ref.id] = ref
    return refs


# ---------------------------------------------------------------- markdown blocks

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


# ---------------------------------------------------------------- the paper

_TABLE_KEY = re.compile(r"\*\*Table 1:\*\*")


def parse_paper(corpus_dir: Path, max_words: int) -> list[Passage]:
    path = corpus_dir / PAPER_FILE
    text = read_text(path)
    blocks = markdown_blocks(text)
    if not any(b.section == "1" for b in blocks):
        raise CorpusError(f"{path}:1: no numbered sections found (expected '## 1 Introduction')")
    table_header = _table_header(text, path)
    passages: list[Passage] = []
    counters: dict[str, int] = {}
    for block in blocks:
        section_key = re.sub(r"\W+", "-", block.section.lower()).strip("-")
        ordinal = counters.get(section_key, 0)
        counters[section_key] = ordinal + 1
        base_id = f"paper:{section_key}:{ordinal:02d}"
        heading = f"{block.section} {block.section_title}" if block.section.isdigit() else block.section_title
        context = f"{heading}"
        if block.label:
            context += f" — {block.label}"
        if block.kind == "table-row":
            cells = [c.strip() for c in text[block.start : block.end].strip().strip("|").split("|")]
            if cells == table_header:
                continue  # the header row is context for every row, not a passage itself
            if len(cells) != len(table_header):
                raise CorpusError(f"{path}:{line_of(text, block.start)}: Table 1 row has {len(cells)} cells, "
                                  f"expected {len(table_header)}")
            described = "; ".join(f"{role}: {cell}" for role, cell in zip(table_header[1:], cells[1:]))
            context = f"Table 1 skill matrix (role involvement) — {cells[0]} — {described}"
            passages.append(_paper_passage(text, block, base_id, "table-row", block.start, block.end, context))
            continue
        if block.section == "References":
            ref = re.match(r"^\[(\d+)\]", text[block.start : block.end])
            cites = (int(ref.group(1)),) if ref else ()
            passages.append(_paper_passage(text, block, base_id, "reference", block.start, block.end,
                                           "References", cites=cites))
            continue
        kind = "caption" if block.kind == "caption" else block.kind
        if kind == "caption" and _TABLE_KEY.match(text[block.start : block.end]):
            context = "Table 1 key (skill matrix legend)"
        windows = sentence_windows(text, block.start, block.end, max_words)
        lead = _lead(text[windows[0][0] : windows[0][1]]) if len(windows) > 1 and not block.label else ""
        for w, (s, e) in enumerate(windows):
            pid = base_id if len(windows) == 1 else f"{base_id}.{w}"
            # Later windows of a paragraph keep its topic: "Research persists, but it is oriented to
            # efficiency" means nothing without "Foundation-model platforms ..." before it.
            window_context = f"{context} — {lead}" if w > 0 and lead else context
            passages.append(_paper_passage(text, block, pid, kind, s, e, window_context))
    return passages


def _lead(first_window: str, max_words: int = 16) -> str:
    """The opening words of a paragraph, used as context for its later windows."""
    first_sentence = sentence_spans(first_window)[0]
    words = strip_markdown(first_window[first_sentence[0] : first_sentence[1]]).split()
    return " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")


def _table_header(text: str, path: Path) -> list[str]:
    for line in text.split("\n"):
        if line.startswith("| Skill/Responsibility"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if tuple(cells[1:]) != TABLE_ROLES:
                raise CorpusError(f"{path}:{line_of(text, text.find(line))}: Table 1 header names "
                                  f"{cells[1:]}, expected {list(TABLE_ROLES)}")
            return cells
    raise CorpusError(f"{path}: Table 1 header row ('| Skill/Responsibility | ...') not found")


def _paper_passage(text: str, block: Block, pid: str, kind: str, s: int, e: int, context: str,
                   cites: tuple[int, ...] | None = None) -> Passage:
    span = text[s:e]
    return Passage(
        id=pid, text=span, doc="paper", title=PAPER_TITLE, section=block.section,
        section_title=block.section_title, kind=kind,
        cites=cites if cites is not None else parse_citations(span, VALID_REFS),
        url=PAPER_URL, file=PAPER_FILE, start=s, end=e, context=context, year=2025,
    )


# ---------------------------------------------------------------- source files


def parse_source(corpus_dir: Path, ref: Reference, max_words: int) -> list[Passage]:
    """Passages of one source file: its header as a reference entry, then abstract windows,
    verbatim excerpts and key facts."""
    rel = ref.source_file or ""
    path = corpus_dir / rel
    text = read_text(path)
    first = text.split("\n", 1)[0]
    if not first.startswith("# "):
        raise CorpusError(f"{path}:1: expected a '# Title' line, found {first[:60]!r}")
    doc = f"ref-{ref.id}"
    title = first[2:].strip()
    passages: list[Passage] = []
    body_at = text.find("\n## ")
    header_end = body_at if body_at != -1 else len(text)
    header_end = len(text[:header_end].rstrip())
    base = dict(doc=doc, title=title, url=ref.url, file=rel, year=ref.year)
    passages.append(Passage(id=f"{doc}:reference", text=text[:header_end], section="Reference",
                            section_title="Reference", kind="reference", cites=(ref.id,),
                            start=0, end=header_end,
                            context=f"[{ref.id}] {', '.join(ref.authors)}: {ref.title}. {ref.venue} ({ref.year})",
                            **base))
    counters: dict[str, int] = {}
    for block in markdown_blocks(text):
        if block.start < header_end:
            continue
        heading = block.section_title.lower()
        kind = "abstract" if "abstract" in heading else "excerpt" if "excerpt" in heading else "fact"
        n = counters.get(kind, 0)
        counters[kind] = n + 1
        windows = sentence_windows(text, block.start, block.end, max_words) if kind == "abstract" else [
            (block.start, block.end)]
        for w, (s, e) in enumerate(windows):
            pid = f"{doc}:{kind}:{n:02d}" + (f".{w}" if len(windows) > 1 else "")
            passages.append(Passage(id=pid, text=text[s:e], section=block.section_title,
                                    section_title=block.section_title, kind=kind, cites=(ref.id,),
                                    start=s, end=e, context=f"[{ref.id}] {title} — {block.section_title}",
                                    **base))
    return passages


def reference_only_passage(corpus_dir: Path, ref: Reference) -> Passage:
    """A source with no text is still findable by its reference entry (span in references.json)."""
    raw = read_text(corpus_dir / REFERENCES_FILE)
    needle = json.dumps(ref.reference_text_in_paper, ensure_ascii=False)[1:-1]
    start = raw.find(needle)
    end = start + len(needle) if start != -1 else 0
    return Passage(
        id=f"ref-{ref.id}:reference", text=ref.reference_text_in_paper, doc=f"ref-{ref.id}", title=ref.title,
        section="Reference", section_title="Reference (no source text available)", kind="reference",
        cites=(ref.id,), url=ref.url, file=REFERENCES_FILE, start=max(start, 0), end=end,
        context=f"[{ref.id}] {', '.join(ref.authors)}: {ref.title}. {ref.venue} ({ref.year}). No source text.",
        year=ref.year,
    )


def load_corpus(corpus_dir: Path, max_words: int = 60) -> list[Passage]:
    """All passages of the corpus, in a stable order. Raises CorpusError naming file and line."""
    corpus_dir = Path(corpus_dir)
    refs = load_references(corpus_dir)
    passages = parse_paper(corpus_dir, max_words)
    for ref_id in sorted(refs):
        ref = refs[ref_id]
        if ref.source_file and (corpus_dir / ref.source_file).exists():
            passages.extend(parse_source(corpus_dir, ref, max_words))
        elif ref.source_file:
            raise CorpusError(f"{corpus_dir / ref.source_file}: file is missing "
                              f"(named by reference [{ref.id}] in {REFERENCES_FILE})")
        else:
            passages.append(reference_only_passage(corpus_dir, ref))
    ids = [p.id for p in passages]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise CorpusError(f"duplicate passage ids: {dupes[:5]}")
    return passages


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files that make up the corpus (for fingerprints)."""
    corpus_dir = Path(corpus_dir)
    files = [corpus_dir / PAPER_FILE, corpus_dir / REFERENCES_FILE]
    files += sorted((corpus_dir / "sources").glob("*.md"))
    return files
