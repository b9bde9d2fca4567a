"""Parse the corpus (paper.md, references.json, sources/*.md) into citable Passages.

Every passage is an exact span of its file (text == file_text[start:end]) so the UI can highlight it.
Passages never cross a paragraph, bullet or section boundary; long blocks are cut into windows of whole
sentences.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..core.text import parse_citations, sentence_spans, strip_markdown, symbol_names
from ..core.types import Passage
from .files import PAPER_FILE, PAPER_TITLE, PAPER_URL, REFERENCES_FILE, TABLE_ROLES, VALID_REFS, CorpusError, line_of, read_text
from .markdown import Block, markdown_blocks, sentence_windows
from .references import Reference, load_references


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
            names = symbol_names(text[block.start : block.end])
            context = "Table 1 key (skill matrix legend): " + "; ".join(f"{c} {n}" for c, n in names.items())
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



def source_ref(passage_id: str) -> int | None:
    """The reference number of a source's passage ("ref-4:fact:02" -> 4); None for the paper's own."""
    doc = passage_id.split(":", 1)[0]
    return int(doc[4:]) if doc.startswith("ref-") and doc[4:].isdigit() else None


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
