"""The whole audit of the corpus, computed once per process for a corpus, model and thresholds, and
the selections the CLI offers (one reference, one section)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.cache import OnceCache
from ..core.settings import Settings, get_settings
from ..core.text import strip_markdown
from ..core.types import Passage, PassageKind
from ..corpus import PAPER_FILE, REFERENCES_FILE, corpus_files, load_references, parse_paper, read_text
from ..grounding import encode_cached, passage_sentences
from ..index import corpus_fingerprint
from ..index.embeddings import get_embedder
from .citing import attributed_claim, citation_pairs, claim_clauses, paper_sentences
from .claims import CALIBRATION, Calibration
from .consistency import ConsistencyFinding, consistency_findings
from .findings import Finding, ranked_findings
from .meaning import SpanIndex
from .metadata import MetadataCheck, compare_metadata, parse_paper_references
from .quotes import find_quotations
from .sources import load_source_text
from .uncited import UncitedQuotation, uncited_quotation
from .verdicts import PairVerdict, audit_pair, verdict_counts

AUDIT_VERSION = 4  # bump when the audit's logic changes, so cached results are recomputed


class AuditError(ValueError):
    """The audit cannot run as asked (e.g. a reference number the paper does not have)."""


@dataclass
class AuditResult:
    verdicts: list[PairVerdict]
    uncited: list[UncitedQuotation]
    metadata: list[MetadataCheck]
    fingerprint: str = ""
    consistency: list[ConsistencyFinding] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return verdict_counts(self.verdicts)

    def findings(self) -> list[Finding]:
        """Every problem, most serious first (the top of the report)."""
        return ranked_findings(self.verdicts, self.consistency)

    def to_dict(self) -> dict:
        # Written by hand: "uncited_quotes" and the counts are not field names.
        return {
            "verdicts": [v.to_dict() for v in self.verdicts],
            "uncited_quotes": [u.to_dict() for u in self.uncited],
            "metadata": [m.to_dict() for m in self.metadata],
            "consistency": [c.to_dict() for c in self.consistency],
            "findings": [f.to_dict() for f in self.findings()],
            "counts": self.counts(),
            "fingerprint": self.fingerprint,
        }


def paper_passage_ids(passages: Sequence[Passage], start: int, end: int) -> tuple[str, ...]:
    """Ids of the paper passages that overlap a span of paper.md."""
    return tuple(p.id for p in passages if p.kind != PassageKind.REFERENCE and p.start < end and p.end > start)


def warm_embeddings(texts: Iterable[str], embedder) -> None:
    """Encode every text the audit will score in one sorted batch: fast, and the same batches (so the
    same floating-point results) on every run."""
    encode_cached(embedder, sorted({t for t in texts if t}))


def audit_corpus(
    settings: Settings | None = None, embedder=None, calibration: Calibration | None = None
) -> AuditResult:
    """The full audit: every pair's verdict (with its term and claim judgements), the quotations without a
    citation, the metadata checks and the paper's consistency with the corpus and with itself. A corpus
    with a missing or empty source file is audited, not refused."""
    settings = settings or get_settings()
    calibration = calibration or CALIBRATION
    corpus_dir = Path(settings.corpus_dir)
    embedder = embedder if embedder is not None else get_embedder(settings)
    paper_text = read_text(corpus_dir / PAPER_FILE)
    refs = load_references(corpus_dir)
    entries = parse_paper_references(paper_text)
    sources = {n: load_source_text(corpus_dir, ref, settings.window_words) for n, ref in sorted(refs.items())}
    passages = parse_paper(corpus_dir, settings.window_words)
    sentences = paper_sentences(paper_text)
    pairs = [(sentence, pair) for sentence in sentences for pair in citation_pairs(sentence) if pair.ref in sources]
    texts = [strip_markdown(s).strip() for src in sources.values() for p in src.passages for s in passage_sentences(p)]
    for _, pair in pairs:
        attributed = attributed_claim(pair)
        texts += [attributed, *claim_clauses(attributed)]
    warm_embeddings(texts, embedder)
    index = SpanIndex(sources, embedder)

    verdicts: list[PairVerdict] = []
    quotations_of = {s.start: find_quotations(s) for s in sentences}
    for sentence, pair in pairs:
        entry = entries[pair.ref].text if pair.ref in entries else sources[pair.ref].ref.reference_text_in_paper
        verdicts.append(
            audit_pair(
                pair,
                sources[pair.ref],
                quotations_of[sentence.start],
                entry,
                paper_passage_ids(passages, sentence.start, sentence.end),
                embedder,
                settings,
                index,
                calibration,
            )
        )
    with_text = [s for s in sources.values() if s.has_text]
    uncited = [
        uncited_quotation(q, sentence, with_text, settings)
        for sentence in sentences
        for q in quotations_of[sentence.start]
        if not q.refs and q.words >= settings.audit.quote_min_words
    ]
    metadata = [
        check for n, source in sources.items() for check in compare_metadata(entries.get(n), source.ref, source.header)
    ]
    metadata += [
        MetadataCheck(
            n, "entry", "mismatch", entries[n].text, "", "", f"the paper lists [{n}] but {REFERENCES_FILE} does not"
        )
        for n in sorted(set(entries) - set(sources))
    ]
    consistency = consistency_findings(sentences, index, paper_text, calibration)
    return AuditResult(verdicts, uncited, metadata, audit_fingerprint(settings), consistency)


def paper_reference_numbers(settings: Settings) -> list[int]:
    return sorted(parse_paper_references(read_text(Path(settings.corpus_dir) / PAPER_FILE)))


def check_ref(ref: int, settings: Settings) -> None:
    """Raise AuditError unless the paper's reference list has [ref]."""
    numbers = paper_reference_numbers(settings)
    if ref not in numbers:
        span = f"[{numbers[0]}]–[{numbers[-1]}]" if numbers else "none"
        raise AuditError(f"the paper has no reference [{ref}] (its references are {span})")


def select_verdicts(
    verdicts: Iterable[PairVerdict], ref: int | None = None, section: str | None = None
) -> list[PairVerdict]:
    """Filter by reference number and by section number or (part of) its title."""
    out = list(verdicts)
    if ref is not None:
        out = [v for v in out if v.ref == ref]
    if section is not None:
        key = section.strip().lower()
        out = [v for v in out if v.section.lower() == key or key in v.section_title.lower()]
    return out


def check_section(section: str, verdicts: Sequence[PairVerdict]) -> None:
    if not select_verdicts(verdicts, section=section):
        known = ", ".join(dict.fromkeys(f"{v.section} ({v.section_title})" for v in verdicts))
        raise AuditError(f"no citing sentence in a section matching {section!r}; sections with citations: {known}")


def audit_fingerprint(settings: Settings) -> str:
    """Changes with the corpus, the embedding model, the audit's logic and its thresholds."""
    knobs = {
        "audit": settings.audit.model_dump(),
        "grounding": settings.grounding.model_dump(),
        "window_words": settings.window_words,
        "calibration": CALIBRATION.to_dict(),
    }
    return _fingerprint(
        json.dumps(knobs, sort_keys=True, default=str),
        str(settings.embedding.resolved_model_path()),
        _corpus_stat(Path(settings.corpus_dir)),
        settings,
    )


def _corpus_stat(corpus_dir: Path) -> tuple:
    """Names, sizes and modification times of the corpus files: a cheap key that changes with them."""
    out = []
    for path in corpus_files(corpus_dir):
        try:
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(path), -1, -1))
    return tuple(out)


# (thresholds, model, corpus file stats) -> fingerprint. A process sees a few corpora and settings at most
# (tests use copies); 16 keeps them all without growing with every edit of a corpus file.
_FINGERPRINTS: OnceCache[str] = OnceCache(maxsize=16)


def _fingerprint(knobs: str, model: str, corpus_stat: tuple, settings: Settings) -> str:
    """Hashes the corpus content once per (files, sizes, times): an answer's verdict lookup stays cheap."""

    def build() -> str:
        blob = json.dumps({"v": AUDIT_VERSION, "corpus": corpus_fingerprint(settings), "knobs": knobs}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    return _FINGERPRINTS.get((knobs, model, corpus_stat), build)


# fingerprint -> AuditResult. One: a process audits the corpus it serves; a new fingerprint replaces it.
# A second caller for the same fingerprint waits for the first one's audit instead of running its own.
_AUDITS: OnceCache[AuditResult] = OnceCache(maxsize=1)


def cached_audit(settings: Settings | None = None, embedder=None) -> AuditResult:
    """The audit, computed once per process for a given corpus, model and thresholds."""
    settings = settings or get_settings()
    return _AUDITS.get(audit_fingerprint(settings), lambda: audit_corpus(settings, embedder))


def run_audit(
    settings: Settings | None = None, ref: int | None = None, section: str | None = None, embedder=None
) -> list[PairVerdict]:
    """Verdicts for every (citing sentence, reference) pair, optionally for one reference or section.
    Raises AuditError for a reference number the paper does not have or a section without citations."""
    settings = settings or get_settings()
    if ref is not None:
        check_ref(ref, settings)
    result = cached_audit(settings, embedder)
    if section is not None:
        check_section(section, result.verdicts)
    return select_verdicts(result.verdicts, ref, section)
