"""The paper against the corpus and against itself: uncited sentences that a source passage contradicts,
and pairs of the paper's own sentences that disagree. Each finding gives both spans.

Two statements are compared only when they are about the same thing: MiniLM cosine and shared content
words over calibrated thresholds (claims.Calibration). Whether they then disagree is polarity's closed-class
check (a negation on one side only, different numbers for the same thing, "all" against "some"), because
a bi-encoder puts a statement and its negation close together and cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.types import Record, Verdict, rounded
from .citing import CitingSentence, claim_text
from .claims import Calibration
from .meaning import SpanIndex
from .polarity import disagreement, shared_content

MIN_WORDS = 6  # shorter sentences (headings, lead-ins) state too little to contradict
PAPER_COSINE_EXTRA = 0.1  # two sentences of one paper share its vocabulary: they must be closer still


@dataclass(frozen=True)
class ConsistencyFinding(Record):
    """A paper sentence and a span (of a source, or of the paper) that says otherwise about the same thing."""

    kind: str  # "uncited-vs-source" | "paper-vs-paper"
    verdict: Verdict
    sentence: str  # the paper's words
    start: int  # its span in paper.md
    end: int
    line: int
    section: str
    other: str  # the span that disagrees
    other_ref: int | None  # the source it is in (None: the paper)
    other_passage_id: str | None
    other_start: int | None  # for paper-vs-paper: its span in paper.md
    other_line: int | None
    why: str

    def to_audit_row(self) -> dict:
        """The finding in the shape of an `advisor audit --json` row (claim, section, ref, verdict, evidence)."""
        return {
            "kind": self.kind,
            "claim": self.sentence,
            "section": self.section,
            "ref": self.other_ref,
            "verdict": str(self.verdict),
            "evidence": {"sentence": self.other, "passage_id": self.other_passage_id, "line": self.other_line},
            "score": None,
            "reason": self.why,
            "line": self.line,
        }

    cosine: float = rounded(4)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))


def _claims(sentences: Sequence[CitingSentence]) -> list[tuple[CitingSentence, str]]:
    out = []
    for s in sentences:
        text = claim_text(s.text)
        if len(text.split()) >= MIN_WORDS and not text.startswith(("Fig.", "Table", "Key:")):
            out.append((s, text))
    return out


def consistency_findings(
    sentences: Sequence[CitingSentence], index: SpanIndex, paper_text: str, cal: Calibration
) -> list[ConsistencyFinding]:
    claims = _claims(sentences)
    if not claims:
        return []
    vectors = index.encode([t for _, t in claims])
    out: list[ConsistencyFinding] = []
    # uncited sentences against every span of every source
    spans = [span for n in index.refs for span in index.spans[n] if span.kind != "title"]
    if spans:
        span_vectors = index.encode([s.text for s in spans])
        sims = vectors @ span_vectors.T
        for i, (sentence, text) in enumerate(claims):
            if sentence.refs:
                continue
            for j in np.argsort(-sims[i], kind="stable")[:8]:
                cosine = float(sims[i, j])
                if cosine < cal.contradiction_cosine:
                    break
                span = spans[j]
                if shared_content(text, span.text) < cal.contradiction_overlap:
                    continue
                why = disagreement(text, span.text)
                if why:
                    out.append(
                        ConsistencyFinding(
                            "uncited-vs-source",
                            Verdict.CONTRADICTED,
                            text,
                            sentence.start,
                            sentence.end,
                            sentence.line,
                            sentence.section,
                            span.text,
                            span.ref,
                            span.passage_id,
                            None,
                            None,
                            why.replace("the source", f"[{span.ref}]"),
                            cosine,
                        )
                    )
                    break
    # the paper against itself
    paper_sims = vectors @ vectors.T
    threshold = cal.contradiction_cosine + PAPER_COSINE_EXTRA
    for i in range(len(claims)):
        for j in range(i + 1, len(claims)):
            cosine = float(paper_sims[i, j])
            if cosine < threshold:
                continue
            (a, ta), (b, tb) = claims[i], claims[j]
            if abs(a.start - b.start) < 400 and a.section == b.section:
                continue  # neighbours elaborate on each other ("X. However, in some teams …")
            if shared_content(ta, tb) < cal.contradiction_overlap:
                continue
            why = disagreement(ta, tb)
            if why:
                out.append(
                    ConsistencyFinding(
                        "paper-vs-paper",
                        Verdict.CONTRADICTED,
                        ta,
                        a.start,
                        a.end,
                        a.line,
                        a.section,
                        tb,
                        None,
                        None,
                        b.start,
                        b.line,
                        why.replace("the source", "the other sentence").replace("the paper", "this sentence"),
                        cosine,
                    )
                )
    return out
