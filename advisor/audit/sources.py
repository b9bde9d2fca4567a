"""What we hold of each cited source: its body passages and words, or the reason there are none."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..core.types import BODY_KINDS, Passage, PassageKind
from ..corpus import CorpusError, Reference, parse_source, read_text
from .metadata import SourceHeader, parse_source_header
from .words import SourceWords, source_words


@dataclass(frozen=True)
class SourceText:
    """What we hold of one reference: its body passages and verbatim words, or why there are none."""

    ref: Reference
    passages: tuple[Passage, ...]  # abstract / excerpt / fact passages
    words: SourceWords | None  # verbatim words (abstract, excerpts): where a quotation must be
    all_words: SourceWords | None  # every body passage, the paraphrased key facts included
    header: SourceHeader | None
    identity: str  # title, authors and publisher: what "OpenAI" or "Kaplan" in a claim may refer to
    missing_reason: str = ""  # why there is no text (empty when there is)

    @property
    def has_text(self) -> bool:
        return bool(self.passages)


def load_source_text(corpus_dir: Path, ref: Reference, max_words: int) -> SourceText:
    """Read one source tolerantly: a missing, empty or malformed file is a reason, not a crash."""
    identity = f"{ref.title} {' '.join(ref.authors)}"

    def without_text(reason: str, header: SourceHeader | None = None) -> SourceText:
        return SourceText(ref, (), None, None, header, identity, reason)

    if not ref.source_file:
        return without_text(f"we hold only the reference entry for [{ref.id}] ({ref.kind or 'source'}; no source text)")
    path = corpus_dir / ref.source_file
    if not path.exists():
        return without_text(f"source file {ref.source_file} is missing")
    try:
        text = read_text(path)
    except CorpusError as exc:
        return without_text(f"source file {ref.source_file} is unreadable: {exc}")
    if not text.strip():
        return without_text(f"source file {ref.source_file} is empty")
    try:
        passages = parse_source(corpus_dir, ref, max_words)
    except CorpusError as exc:
        return without_text(f"source file {ref.source_file} is malformed: {exc}")
    header = parse_source_header(text)
    body = tuple(p for p in passages if p.kind in BODY_KINDS and p.text.strip())
    if not body:
        return without_text(f"source file {ref.source_file} holds no text beyond its header", header)
    identity += f" {header.title} {' '.join(header.authors)} {_publisher_line(text)}"
    return SourceText(
        ref,
        body,
        source_words(ref.id, ref.source_file, text, body),
        source_words(ref.id, ref.source_file, text, body, BODY_KINDS),
        header,
        identity,
    )


def _publisher_line(text: str) -> str:
    m = re.search(r"^- (?:Author / publisher|Publisher|Author|Authors):\s*(.*)$", text, re.M)
    return m.group(1) if m else ""


def held_description(source: SourceText) -> str:
    """What part of the source we hold, for reasons: only excerpts of a web page, only an abstract."""
    kinds = {p.kind for p in source.passages}
    if PassageKind.EXCERPT in kinds:
        return "excerpts"
    if kinds == {PassageKind.ABSTRACT}:
        return "the abstract"
    return ""
