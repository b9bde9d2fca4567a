"""Citation audit: does each source the paper cites say what the paper attributes to it?

Every sentence of corpus/paper.md that carries a citation marker is paired with each reference it
cites ([13–15] gives three pairs). For each pair the audit reads the source text we hold and gives a
verdict (core.types.Verdict) with its evidence and a one-line reason:

- "supported": the source text supports what the sentence attributes to it;
- "partial": the topic matches but a detail (a name, a number, the exact wording of a quotation, a
  word of a cited term) is not in the source;
- "not-supported": the source text we hold does not contain what the sentence attributes to it
  (for example a quotation that is nowhere in it);
- "no-source-text": we hold only the reference entry (or the source file is empty or missing).

Quotations are looked up word by word (difflib) in the verbatim parts of the source (abstracts and
verbatim excerpts, never the curator's paraphrased key facts), and the differences are shown:
inserted, dropped and changed words, text hidden by an ellipsis, bracketed edits. The audit also
lists quotations that carry no citation (with the best candidate source) and compares each reference
entry of the paper with references.json and the source file's header.

Support scoring is grounding.score_support, shared with the answer pipeline. The audit is deterministic
for a given corpus, model and settings; results are cached per corpus fingerprint.

Modules: citing (sentences, pairs, what a marker vouches for), words and diff (tokens, word diff),
quotes (quotations and their lookup), metadata (reference entries and source headers), sources (what we
hold of a source), terms (cited terms), verdicts (one pair's verdict), uncited (quotations without a
citation), engine (the whole audit, cached; selections), by_passage (verdicts for answer citations),
report (the Markdown report).
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
from .metadata import MetadataCheck, compare_metadata, parse_paper_references, parse_source_header
from .quotes import Quotation, QuoteCheck, find_quotations, lookup_quote
from .report import audit_report_markdown
from .sources import SourceText, load_source_text
from .uncited import UncitedQuotation
from .verdicts import EvidenceItem, PairSignals, PairVerdict, decide_verdict, verdict_counts
from .words import Token, tokenize

__all__ = [
    "AuditError",
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
