"""Support judged on meaning: MiniLM vectors of every sentence span of every source (each sentence, each
pair of adjacent sentences, the title) and of the source as a whole (title + its verbatim text).

A cosine alone is hard to read ("0.41": a lot or a little?), so a text's match with a source is also put
against the same text's matches with every other source in the corpus: `margin` is the cosine minus the
90th percentile of the other sources' best cosines, and `rank` is the source's place among all of them.
A cited term whose source ranks first, by a margin, is what that source is about, whether or not the
term's exact words occur in it ("scaling laws" for the Chinchilla abstract, which never says "laws").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.text import strip_markdown
from ..core.types import VERBATIM_KINDS
from ..grounding import encode_cached, passage_sentences
from .sources import SourceText


@dataclass(frozen=True)
class Span:
    """A sentence (or two adjacent sentences, or the title) of one source."""

    ref: int
    passage_id: str | None  # None for the title
    kind: str  # abstract | excerpt | fact | title
    text: str


@dataclass(frozen=True)
class Match:
    """A text's best span in one source, and how that compares with the rest of the corpus."""

    ref: int
    cosine: float  # best span (or whole-document) cosine in this source
    span: Span | None
    margin: float  # cosine minus the 90th percentile of the other sources' best cosines
    rank: int  # 1 = the closest source of the corpus
    of: int  # sources compared
    doc_cosine: float = 0.0  # the text against the source as a whole
    doc_margin: float = 0.0

    @property
    def best_margin(self) -> float:
        return max(self.margin, self.doc_margin)

    @property
    def rank_share(self) -> float:
        """0 for the closest source, 1 for the farthest."""
        return (self.rank - 1) / max(1, self.of - 1)


class SpanIndex:
    """Vectors of every span of every source with text, built once per audit (one sorted batch)."""

    def __init__(self, sources: Mapping[int, SourceText], embedder) -> None:
        self.embedder = embedder
        self.spans: dict[int, list[Span]] = {}
        self.vectors: dict[int, np.ndarray] = {}
        self.doc_vectors: dict[int, np.ndarray] = {}
        texts: list[str] = []
        docs: dict[int, str] = {}
        for n, source in sorted(sources.items()):
            if not source.has_text:
                continue
            spans = [Span(n, None, "title", source.ref.title)]
            for p in source.passages:
                sentences = [strip_markdown(s).strip() for s in passage_sentences(p)]
                sentences = [s for s in sentences if s]
                spans += [Span(n, p.id, p.kind.value, s) for s in sentences]
                spans += [Span(n, p.id, p.kind.value, f"{a} {b}") for a, b in zip(sentences, sentences[1:])]
            self.spans[n] = spans
            verbatim = " ".join(p.text for p in source.passages if p.kind in VERBATIM_KINDS)
            docs[n] = f"{source.ref.title}. {strip_markdown(verbatim or ' '.join(p.text for p in source.passages))}"
            texts += [s.text for s in spans] + [docs[n]]
        encode_cached(embedder, sorted(set(texts)))  # one batch, the same order on every run
        for n, spans in self.spans.items():
            self.vectors[n] = encode_cached(embedder, [s.text for s in spans])
            self.doc_vectors[n] = encode_cached(embedder, [docs[n]])[0]

    @property
    def refs(self) -> list[int]:
        return sorted(self.spans)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode_cached(self.embedder, list(texts))

    def best_in(self, text: str, ref: int, kinds: tuple[str, ...] = ()) -> tuple[float, Span | None]:
        """The span of source [ref] closest to text (optionally of some kinds only)."""
        if ref not in self.spans or not text.strip():
            return 0.0, None
        q = self.encode([text])[0]
        sims = self.vectors[ref] @ q
        order = [i for i in np.argsort(-sims, kind="stable") if not kinds or self.spans[ref][i].kind in kinds]
        if not order:
            return 0.0, None
        return float(sims[order[0]]), self.spans[ref][order[0]]

    def spans_above(self, text: str, ref: int, threshold: float) -> list[tuple[float, Span]]:
        """Every span of [ref] at least `threshold` similar to text, best first."""
        if ref not in self.spans or not text.strip():
            return []
        q = self.encode([text])[0]
        sims = self.vectors[ref] @ q
        return [(float(sims[i]), self.spans[ref][i]) for i in np.argsort(-sims, kind="stable") if sims[i] >= threshold]

    def match(self, text: str, ref: int) -> Match:
        """How well text matches source [ref], by its best span and as a whole, against the corpus."""
        if ref not in self.spans or not text.strip():
            return Match(ref, 0.0, None, -1.0, len(self.spans) or 1, len(self.spans) or 1)
        q = self.encode([text])[0]
        best = {n: float((v @ q).max()) for n, v in self.vectors.items()}
        doc = {n: float(v @ q) for n, v in self.doc_vectors.items()}
        sims = self.vectors[ref] @ q
        i = int(np.argmax(sims))
        others = [best[n] for n in best if n != ref]
        doc_others = [doc[n] for n in doc if n != ref]
        p90 = float(np.percentile(others, 90)) if others else 0.0
        doc_p90 = float(np.percentile(doc_others, 90)) if doc_others else 0.0
        combined = {n: max(best[n] - p90, doc[n] - doc_p90) for n in best}
        rank = 1 + sum(1 for n in combined if n != ref and combined[n] > combined[ref])
        return Match(
            ref,
            best[ref],
            self.spans[ref][i],
            best[ref] - p90,
            rank,
            len(best),
            doc[ref],
            doc[ref] - doc_p90,
        )
