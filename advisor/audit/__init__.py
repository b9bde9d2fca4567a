"""Citation audit: does each source the paper cites say what the paper attributes to it?

Every sentence of corpus/paper.md that carries a citation marker is paired with each reference it
cites ([13–15] gives three pairs). Each pair answers two questions, each with its own verdict and
evidence (claims.Judgement):

- term support: is what the citation names (a cited term, or the sentence's subject) what the source is
  about? Judged on meaning (meaning.SpanIndex: MiniLM over every sentence span, the title and the whole
  source, ranked against the rest of the corpus), not on the presence of each word;
- claim support: does the source support what the sentence says with it? For a cited term, the names,
  projects and numbers the sentence ties to it must be in the source ("scaling laws [17] were essential
  to GPT-4" is not supported by a paper on scaling laws that never mentions GPT-4).

The pair's verdict (core.types.Verdict):

- "supported": the source text supports what the sentence attributes to it;
- "partial": part of it, or the quotation's wording differs, or it drops a qualifier of the source or
  reports the source's expectation as fact, or the term holds but its use does not;
- "contradicted": a span of the source about the same thing says otherwise (polarity: negation,
  numbers, quantifiers, checked on spans that embeddings match);
- "not-supported": the source text we hold says something else;
- "unverifiable": our copy lacks the part that would hold it (only excerpts or an abstract), with what
  we looked for;
- "no-source-text": we hold only the reference entry (or the source file is empty or missing).

Quotations are looked up word by word (difflib) in the verbatim parts of the source (abstracts and
verbatim excerpts, never the curator's paraphrased key facts), and the differences are shown:
inserted, dropped and changed words, text hidden by an ellipsis, bracketed edits, and what the quotation
cuts at either end of its source sentence, with the qualifier that cut drops and the source's own voice
(quote_context). The paper is also checked against itself and the corpus (consistency), quotations
without a citation are given their best candidate source (uncited), reference entries are compared with
references.json and the source header (metadata), and every problem is ranked (findings) at the top of
the Markdown report (report). An optional language-model judge (judge, `advisor audit --llm SPEC`) may
settle borderline pairs, but only with a quoted source span that the offline verifier confirms.

The audit is deterministic for a given corpus, model, settings and calibration (claims.CALIBRATION,
fitted on benchmarks/data/audit_dev.jsonl); results are cached per fingerprint.

Modules: citing (sentences, pairs, what a marker vouches for), words and diff (tokens, word diff),
quotes and quote_context (quotations, their lookup and their surroundings), metadata, sources (what we
hold of a source), terms (a term's words), meaning (span vectors), polarity (stance checks), claims (the
two judgements), verdicts (one pair's verdict), consistency, uncited, findings, engine (the whole audit,
cached; selections), by_passage (verdicts for answer citations), judge (LLM judge), report.
"""

from .by_passage import audit_verdicts_for, verdict_summaries_by_passage, verdict_summaries_if_ready
from .citing import (
    CitationPair,
    CitingSentence,
    block_sentence_spans,
    citation_pairs,
    citing_sentences,
    claim_text,
    classify_marker,
    pair_id,
    paper_sentences,
)
from .claims import CALIBRATION, Calibration, Judgement
from .consistency import ConsistencyFinding
from .diff import DiffOp, render_diff
from .engine import (
    AuditError,
    AuditResult,
    audit_corpus,
    audit_fingerprint,
    cached_audit,
    check_ref,
    check_section,
    run_audit,
    select_verdicts,
)
from .findings import Finding, ranked_findings
from .metadata import (
    MetadataCheck,
    compare_metadata,
    parse_paper_entry,
    parse_paper_references,
    parse_source_header,
)
from .quotes import Quotation, QuoteCheck, find_quotations, lookup_quote
from .report import audit_report_markdown
from .sources import SourceText, load_source_text
from .uncited import UncitedQuotation
from .verdicts import EvidenceItem, PairSignals, PairVerdict, decide_verdict, verdict_counts
from .words import Token, tokenize

__all__ = [
    "CALIBRATION",
    "AuditError",
    "Calibration",
    "ConsistencyFinding",
    "Finding",
    "Judgement",
    "ranked_findings",
    "AuditResult",
    "CitationPair",
    "CitingSentence",
    "DiffOp",
    "EvidenceItem",
    "MetadataCheck",
    "PairSignals",
    "PairVerdict",
    "Quotation",
    "QuoteCheck",
    "SourceText",
    "Token",
    "UncitedQuotation",
    "audit_corpus",
    "audit_fingerprint",
    "audit_report_markdown",
    "audit_verdicts_for",
    "block_sentence_spans",
    "cached_audit",
    "check_ref",
    "check_section",
    "citation_pairs",
    "citing_sentences",
    "claim_text",
    "classify_marker",
    "compare_metadata",
    "decide_verdict",
    "find_quotations",
    "load_source_text",
    "lookup_quote",
    "pair_id",
    "paper_sentences",
    "parse_paper_entry",
    "parse_paper_references",
    "parse_source_header",
    "render_diff",
    "run_audit",
    "select_verdicts",
    "tokenize",
    "verdict_counts",
    "verdict_summaries_by_passage",
    "verdict_summaries_if_ready",
]
