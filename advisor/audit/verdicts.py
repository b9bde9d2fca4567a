"""The verdict of one (citing sentence, reference) pair: the signals it is decided from, the decision
(a pure function of those signals and the thresholds in settings.audit), its evidence and its reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..core.settings import Settings
from ..core.text import shorten, strip_markdown
from ..core.types import Passage, Record, Verdict, rounded
from ..grounding import Support, passage_sentences, score_support
from .citing import CitationPair, attributed_claim, citation_pairs, claim_clauses, claim_text
from .claims import (
    CALIBRATION,
    Calibration,
    Judgement,
    claim_for_term,
    contradiction,
    subject_judgement,
    term_judgement,
)
from .meaning import SpanIndex
from .quote_context import with_context
from .quotes import Quotation, QuoteCheck, lookup_quote
from .sources import SourceText, held_description
from .terms import NO_COVERAGE, TermCoverage, term_coverage, term_score
from .words import norm


@dataclass(frozen=True)
class EvidenceItem(Record):
    passage_id: str
    kind: str
    section: str
    text: str
    sentence: str  # the passage's sentence closest to the claim
    score: float = rounded(4)
    similarity: float = rounded(4)
    file: str
    start: int
    end: int
    url: str


@dataclass(frozen=True)
class PairVerdict(Record):
    """The audit of one (citing sentence, reference) pair."""

    id: str  # citing.pair_id: "paper@<sentence start>#<ref>"
    claim: str  # the citing sentence (markdown stripped)
    section: str
    section_title: str
    ref: int
    verdict: Verdict
    reason: str
    score: float = rounded(4)  # 0..1 support of the attributed text by the source
    evidence: tuple[EvidenceItem, ...]
    quotes: tuple[QuoteCheck, ...]
    citation_kind: str  # sentence | clause | term
    attributed: str  # what the citation vouches for
    missing: tuple[str, ...]  # numbers, names and quotations of the attributed text absent from the source
    similarity: float = rounded(4)
    overlap: float = rounded(4)
    start: int  # the sentence's span in paper.md
    end: int
    line: int
    passage_ids: tuple[str, ...]  # the paper passages the sentence lies in
    reference: str  # the paper's reference entry
    source_file: str | None
    # Added by the claim-level audit (issue 13); the keys above are unchanged.
    term_support: Judgement | None = None  # is the cited term / the sentence's subject what the source is about?
    claim_support: Judgement | None = None  # does the source support what the sentence says with it?
    finding: str = ""  # the problem in one sentence, for the ranked findings ("" when supported)
    severity: int = 0  # 0 none … 5 contradicted: how the findings list ranks it
    looked_for: tuple[str, ...] = ()  # unverifiable: what we looked for in our copy
    judge: dict | None = None  # the optional LLM judge's verdict, its quoted span and whether it was confirmed

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))

    def summary(self) -> dict:
        """The compact form an answer citation carries (answer → paper passage → source → verdict)."""
        best = self.evidence[0].to_dict() if self.evidence else None
        return {
            "id": self.id,
            "ref": self.ref,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "score": round(self.score, 4),
            "claim": self.claim,
            "evidence": best,
            "quotes": [
                {
                    "quote": q.quote,
                    "status": q.status,
                    "diff": q.diff_text(),
                    "passage_id": q.passage_id,  # where it is, or for one not found its closest words
                    "source_text": q.source_text,
                }
                for q in self.quotes
            ],
            "term_support": self.term_support.verdict.value if self.term_support else None,
            "claim_support": self.claim_support.verdict.value if self.claim_support else None,
            "finding": self.finding,
        }


def verdict_counts(verdicts: Iterable[PairVerdict]) -> dict[str, int]:
    counts = {v.value: 0 for v in Verdict}
    for verdict in verdicts:
        counts[verdict.verdict.value] += 1
    return counts


def excerpt(text: str, limit: int = 90) -> str:
    """A sentence quoted in a reason or a report cell: plain text, outer straight quotes dropped, cut at a
    word. The cut ends in " …" (core.text.shorten writes "…"); kept so reasons and the checked-in report
    stay as they were."""
    plain = re.sub(r"\s+", " ", strip_markdown(text)).strip().strip('"')
    return plain if len(plain) <= limit else shorten(plain, limit).removesuffix("…") + " …"


def details_missing(support: Support, quotations: Sequence[Quotation], identity: str, claim: str) -> tuple[str, ...]:
    """Numbers and names of the attributed text that the source lacks. Quotations are left out (they
    are checked word by word instead; a short scare-quoted term is the paper's own word), and so are
    names that identify the source itself: "OpenAI notes …" is borne out by the source being
    OpenAI's job description. A capitalised first word ("According") is not a name."""
    quoted = [norm(q.text) for q in quotations]
    who = f" {' '.join(re.findall(r'[a-z0-9]+', identity.lower()))} "
    first_word = (re.findall(r"[A-Za-z0-9]+", claim) or [""])[0]
    out = []
    for detail in support.missing:
        key = norm(detail)
        if any(key and (key in q or q in key) for q in quoted if q):
            continue
        if f" {' '.join(re.findall(r'[a-z0-9]+', detail.lower()))} " in who or detail == first_word:
            continue
        out.append(detail)
    return tuple(out)


@dataclass(frozen=True)
class PairSignals:
    """Everything a verdict is decided from (plain data, so the decision is a pure function)."""

    kind: str
    support: Support  # the attributed text against all the source's passages
    quote_share: float  # share of the attributed text's words inside quotations of this source
    best_clause: tuple[str, Support] | None  # its best-supported clause, for a sentence of several
    missing: tuple[str, ...]
    quotes: tuple[QuoteCheck, ...]
    coverage: TermCoverage | None  # for a cited term
    held: str = ""  # "excerpts" / "the abstract": what we hold of the source, for the reason
    meaning: float = 0.0  # MiniLM cosine of the attributed text with its closest span of the source
    clause_meaning: float = 0.0  # the same for its best clause
    contradiction: str = ""  # why a span of the source about the same thing says otherwise
    contradiction_span: str = ""
    flags: tuple[str, ...] = ()  # quotation problems beyond wording: a dropped qualifier, the source's own voice
    calibration: Calibration = CALIBRATION


QUOTE_DOMINATED = 0.5  # a sentence at least this much quotation is judged by its quotation


def decide_verdict(signals: PairSignals, settings: Settings) -> tuple[Verdict, str]:
    """(verdict, one-line reason) for a pair whose source has text. Thresholds come from settings.audit
    (the combined support score) and signals.calibration (meaning: cosines against source spans)."""
    knobs = settings.audit
    cal = signals.calibration
    sup = signals.support
    if signals.kind == "term" and signals.coverage is not None:
        return _term_verdict(signals, settings)

    def strong(s: Support) -> bool:
        return s.score >= knobs.supported_threshold and s.similarity >= knobs.min_similarity

    whole = strong(sup) or signals.meaning >= cal.claim_supported_cosine
    clause = (
        signals.best_clause
        if signals.best_clause
        and (strong(signals.best_clause[1]) or signals.clause_meaning >= cal.claim_supported_cosine)
        else None
    )
    not_found = [q for q in signals.quotes if q.status == "not-found"]
    found = [q for q in signals.quotes if q.status in ("verbatim", "minor-edits", "differs")]
    differs = [q for q in signals.quotes if q.status == "differs"]
    held = f" (we hold only {signals.held} of this source)" if signals.held else ""
    if signals.contradiction:
        return Verdict.CONTRADICTED, (
            f"the source says otherwise: {signals.contradiction}: “{excerpt(signals.contradiction_span, 120)}”"
        )
    if not_found:
        where = f"the quotation “{excerpt(not_found[0].quote, 60)}” is not in the text we hold{held}"
        rest = whole or clause or found
        if signals.held and (signals.quote_share >= QUOTE_DOMINATED or not whole):
            return Verdict.UNVERIFIABLE, (
                f"{where}: our copy lacks the part that would hold it, so it can be neither confirmed nor refuted "
                f"(closest: “{excerpt(not_found[0].source_text or sup.sentence, 70)}”)"
            )
        if rest:
            return Verdict.PARTIAL, f"{where}; the rest is supported (score {max(sup.score, _score(clause)):.2f})"
        return Verdict.NOT_SUPPORTED, f"{where}, and the sentence's best match scores only {sup.score:.2f}"
    if found and signals.quote_share >= QUOTE_DOMINATED:
        # The sentence is mostly a quotation: whether the source says it is the quotation check.
        if differs or signals.flags:
            problems = [f"its wording differs ({_quote_summary(differs[0])})"] if differs else []
            return Verdict.PARTIAL, "the quotation is in the source but " + "; ".join(problems + list(signals.flags))
        if not signals.missing:
            return Verdict.SUPPORTED, f"the quotation is in the source ({found[0].status}), support {sup.score:.2f}"
    if whole and not signals.missing and not differs and not signals.flags:
        lead = "quotation found verbatim; " if found else ""
        return Verdict.SUPPORTED, (
            f"{lead}support {sup.score:.2f} (cosine {max(signals.meaning, sup.similarity):.2f}), "
            f"best match: “{excerpt(sup.sentence)}”"
        )
    if (
        whole
        or clause
        or found
        or sup.score >= knobs.partial_threshold
        or max(signals.meaning, signals.clause_meaning) >= cal.claim_partial_cosine
    ):
        problems = []
        if signals.missing:
            problems.append(f"{', '.join(signals.missing[:4])} not in the source")
        if differs:
            problems.append(f"the quotation's wording differs ({_quote_summary(differs[0])})")
        problems += list(signals.flags)
        if not whole:
            if clause:
                problems.append(f"only part is supported: “{excerpt(clause[0], 70)}” ({clause[1].score:.2f})")
            elif found:
                problems.append(
                    f"the quotation is in the source but the rest of the sentence matches only weakly "
                    f"(score {sup.score:.2f})"
                )
            else:
                problems.append(
                    f"the source is on the topic but matches only in part (score {sup.score:.2f}, "
                    f"best: “{excerpt(sup.sentence, 70)}”)"
                )
        return Verdict.PARTIAL, "; ".join(problems)
    return Verdict.NOT_SUPPORTED, (
        f"the text we hold does not say this{held}: best match scores {sup.score:.2f}: “{excerpt(sup.sentence)}”"
    )


def _quote_summary(check: QuoteCheck, limit: int = 3) -> str:
    """The quotation's substantive differences in a few words: “good” → “solid”, adds “skills”."""
    parts = []
    for op in check.ops:
        if op.minor or op.op == "equal":
            continue
        if op.op == "inserted":
            parts.append(f"adds “{op.paper}”")
        elif op.op == "dropped":
            parts.append(f"drops “{op.source}”")
        elif op.op == "ellipsis":
            parts.append(op.note or "an ellipsis joins distant text")
        elif op.op == "bracketed":
            parts.append(f"“{op.source}” → “{op.paper}”, {op.note}" if op.source else f"adds “{op.paper}”")
        else:
            parts.append(f"“{op.source}” → “{op.paper}”")
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _score(clause: tuple[str, Support] | None) -> float:
    return clause[1].score if clause else 0.0


def _term_verdict(signals: PairSignals, settings: Settings) -> tuple[Verdict, str]:
    coverage = signals.coverage or NO_COVERAGE
    share, absent = coverage.share, coverage.missing
    sim = signals.support.similarity
    held = signals.held or "the text"
    if share >= 1.0:
        return Verdict.SUPPORTED, f"its words occur in the source ({coverage.describe()})"
    if share > 0 or sim >= settings.audit.term_similarity:
        gap = f"“{'”, “'.join(absent)}” not in {held} we hold"
        found = f" ({coverage.describe()})" if coverage.matched else f" (closest sentence, cosine {sim:.2f})"
        return Verdict.PARTIAL, f"the source is on the topic{found} but {gap}"
    return Verdict.NOT_SUPPORTED, (
        f"none of its words occur in {held} we hold and its closest sentence is only "
        f"{sim:.2f} similar: “{excerpt(signals.support.sentence, 70)}”"
    )


def evidence_for(
    claim: str,
    passages: Sequence[Passage],
    embedder,
    settings: Settings,
    n: int,
    prefer: tuple[str, ...] = (),
    quoted_in: frozenset[str] = frozenset(),
) -> tuple[EvidenceItem, ...]:
    """The source's passages ranked by how well each alone supports the claim. The passages that hold
    the sentence's quotations (quoted_in) come first; for a cited term, those that use its words
    (prefer), showing the sentence that uses them."""
    items = []
    for p in passages:
        sup = score_support(claim, [p], embedder, settings)
        sentence = sup.sentence
        uses = [s for s in passage_sentences(p) if prefer and any(re.search(rf"\b{re.escape(w)}\b", s) for w in prefer)]
        if uses:
            sentence = uses[0]
        item = EvidenceItem(
            p.id, p.kind, p.section, p.text, sentence, sup.score, sup.similarity, p.file, p.start, p.end, p.url
        )
        items.append((p.id not in quoted_in, not uses, -sup.score, p.id, item))
    items.sort(key=lambda t: t[:4])
    return tuple(item for *_, item in items[:n])


def quote_flags(quotes: Sequence[QuoteCheck]) -> tuple[str, ...]:
    """The problems of found quotations beyond their wording: a qualifier the cut drops, the source's own voice."""
    flags = []
    for q in quotes:
        if q.status == "not-found":
            continue
        for qualifier in q.qualifiers:
            flags.append(f"the quotation drops the source's qualifier “{qualifier}”")
        if q.voice:
            flags.append(q.voice)
    return tuple(dict.fromkeys(flags))


BODY = ("abstract", "excerpt", "fact")  # span kinds that can bear out a claim (not the title)

SEVERITY = {
    Verdict.CONTRADICTED: 5,
    Verdict.NOT_SUPPORTED: 4,
    Verdict.UNVERIFIABLE: 3,
    Verdict.PARTIAL: 2,
    Verdict.NO_SOURCE_TEXT: 1,
    Verdict.SUPPORTED: 0,
}


def finding_of(verdict: Verdict, reason: str, claim_support: Judgement | None, flags: Sequence[str]) -> tuple[str, int]:
    """(the finding in one sentence, severity) of a pair; ("", 0) when it is supported."""
    severity = SEVERITY[verdict]
    if verdict == Verdict.SUPPORTED:
        return "", 0
    if claim_support is not None and claim_support.missing and verdict == Verdict.PARTIAL:
        severity = 3  # the citation is used for a claim its source does not discuss
    elif verdict == Verdict.PARTIAL and flags:
        severity = 3  # a qualifier dropped or an expectation reported as fact changes what the source says
    return reason, severity


def _sentence_terms(pair: CitationPair) -> list[str]:
    return [p.attributed for p in citation_pairs(pair.sentence) if p.kind == "term"]


def audit_pair(
    pair: CitationPair,
    source: SourceText,
    quotations: Sequence[Quotation],
    paper_entry: str,
    passage_ids: tuple[str, ...],
    embedder,
    settings: Settings,
    index: SpanIndex | None = None,
    calibration: Calibration | None = None,
) -> PairVerdict:
    """The verdict for one (sentence, reference) pair, with its two judgements (term and claim), its
    evidence and its quotation checks."""
    knobs = settings.audit
    cal = calibration or CALIBRATION
    sentence = pair.sentence
    attributed = attributed_claim(pair)
    # the quotations this reference vouches for (a clause citation vouches for those before it)
    mine = [
        q
        for q in quotations
        if pair.ref in q.refs
        and q.words >= knobs.quote_min_words
        and (pair.kind != "clause" or q.start < pair.marker_start)
    ]
    base = {
        "id": pair.id,
        "claim": claim_text(sentence.text),
        "section": sentence.section,
        "section_title": sentence.section_title,
        "ref": pair.ref,
        "citation_kind": pair.kind,
        "attributed": attributed,
        "start": sentence.start,
        "end": sentence.end,
        "line": sentence.line,
        "passage_ids": passage_ids,
        "reference": paper_entry,
        "source_file": source.ref.source_file,
    }
    if not source.has_text:
        quotes = tuple(
            QuoteCheck(q.text, pair.ref, "no-source-text", 0.0, paper_start=q.start, reason=source.missing_reason)
            for q in mine
        )
        return PairVerdict(
            **base,
            verdict=Verdict.NO_SOURCE_TEXT,
            reason=source.missing_reason,
            score=0.0,
            evidence=(),
            quotes=quotes,
            missing=(),
            similarity=0.0,
            overlap=0.0,
            finding=f"unchecked: {source.missing_reason}",
            severity=1,
            looked_for=tuple(q.text for q in mine) or (attributed,),
        )
    if index is None:
        index = SpanIndex({pair.ref: source}, embedder)
    by_id = {p.id: p for p in source.passages}
    quotes = tuple(
        with_context(
            replace(lookup_quote(q.text, source.words, knobs.quote_found_ratio, pair.ref), paper_start=q.start),
            by_id,
            source.words.text if source.words else "",
            sentence.text,
            sentence.text[: max(0, q.start - sentence.start)],
        )
        for q in mine
    )
    support = score_support(attributed, source.passages, embedder, settings)
    held = held_description(source)
    looked_for: tuple[str, ...] = ()
    term_j = claim_j = None
    if pair.kind == "term":
        coverage = term_coverage(attributed, source)
        signals = PairSignals("term", support, 0.0, None, coverage.missing, quotes, coverage, held)
        term_j = term_judgement(attributed, coverage, index, pair.ref, cal)
        claim_j = claim_for_term(claim_text(sentence.text), _sentence_terms(pair), term_j, source, index, pair.ref, cal)
        verdict, reason = _combine_term(term_j, claim_j, attributed)
        score = term_score(coverage.share, support.score)
        missing = tuple(dict.fromkeys(coverage.missing + claim_j.missing))
    else:
        clauses = [(c, score_support(c, source.passages, embedder, settings)) for c in claim_clauses(attributed)]
        best_clause = max(clauses, key=lambda cs: cs[1].score) if clauses else None
        all_quotes = [q for q in quotations if pair.ref in q.refs or not q.refs]
        missing = details_missing(support, all_quotes, source.identity, attributed)
        share = sum(q.words for q in mine) / max(1, len(re.findall(r"\w+", attributed)))
        # a specific claim is borne out by the source's text, not by its title
        meaning, _ = index.best_in(attributed, pair.ref, BODY)
        clause_meaning = max((index.best_in(c, pair.ref, BODY)[0] for c, _ in clauses), default=0.0)
        why, span, _ = contradiction(claim_text(attributed), index, pair.ref, cal)
        flags = quote_flags(quotes)
        signals = PairSignals(
            pair.kind,
            support,
            min(1.0, share),
            best_clause,
            missing,
            quotes,
            None,
            held,
            meaning,
            clause_meaning,
            why,
            span,
            flags,
            cal,
        )
        verdict, reason = decide_verdict(signals, settings)
        score = support.score
        term_j = subject_judgement(attributed, source, index, pair.ref, cal)
        claim_j = _claim_judgement(verdict, reason, attributed, index, pair.ref, missing)
        if verdict == Verdict.UNVERIFIABLE:
            looked_for = tuple(q.quote for q in quotes if q.status == "not-found")
    evidence = evidence_for(
        attributed,
        source.passages,
        embedder,
        settings,
        knobs.evidence_passages,
        prefer=tuple(hit for _, hit in signals.coverage.matched) if signals.coverage else (),
        quoted_in=frozenset(q.passage_id for q in quotes if q.status != "not-found" and q.passage_id),
    )
    finding, severity = finding_of(verdict, reason, claim_j, quote_flags(quotes))
    return PairVerdict(
        **base,
        verdict=verdict,
        reason=reason,
        score=score,
        evidence=evidence,
        quotes=quotes,
        missing=missing,
        similarity=support.similarity,
        overlap=support.overlap,
        term_support=term_j,
        claim_support=claim_j,
        finding=finding,
        severity=severity,
        looked_for=looked_for,
    )


def _combine_term(term: Judgement, claim: Judgement, attributed: str) -> tuple[Verdict, str]:
    """One verdict from a cited term's two judgements: the term must be what the source is about, and
    what the sentence uses it for must not be a claim the source does not discuss."""
    lead = f"cited for the term “{attributed}”"
    if term.verdict == Verdict.NOT_SUPPORTED:
        return Verdict.NOT_SUPPORTED, f"{lead}: {term.reason}"
    if claim.missing:
        verdict = Verdict.PARTIAL if claim.verdict != Verdict.CONTRADICTED else claim.verdict
        return verdict, f"{lead}: the term holds ({term.verdict}) but {claim.reason}"
    return term.verdict, f"{lead}: {term.reason}"


def _claim_judgement(
    verdict: Verdict, reason: str, attributed: str, index: SpanIndex, ref: int, missing: tuple[str, ...]
) -> Judgement:
    """The claim question of a sentence or clause citation: the pair's own decision, with its evidence span."""
    m = index.match(attributed, ref)
    cosine, span = index.best_in(attributed, ref, BODY)
    return Judgement(
        "claim",
        verdict,
        reason,
        attributed,
        cosine,
        m.best_margin,
        m.rank,
        span.text if span else "",
        span.passage_id if span else None,
        missing,
    )
