"""The audit as a Markdown report (docs/citation-audit.md). The fixed prose and the layout are the
template report.md.tmpl (package data); this module renders the rows that go into it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from string import Template

from ..core.settings import Settings, get_settings
from ..core.types import Verdict
from ..corpus import Reference
from .claims import CALIBRATION
from .consistency import ConsistencyFinding
from .diff import render_diff
from .findings import Finding, ranked_findings
from .metadata import MetadataCheck
from .uncited import UncitedQuotation
from .verdicts import QUOTE_DOMINATED, PairVerdict, excerpt, verdict_counts


@lru_cache(maxsize=1)
def _template() -> Template:
    return Template(resources.files(__package__).joinpath("report.md.tmpl").read_text(encoding="utf-8"))


def _lines(rows: Sequence[str]) -> str:
    """Rows for a template slot: each ends its line, so an empty list leaves no blank line behind."""
    return "".join(f"{row}\n" for row in rows)


def _cell(text: str, limit: int = 0) -> str:
    text = excerpt(text, limit) if limit else re.sub(r"\s+", " ", text).strip()
    return text.replace("|", "\\|")


def _entry_label(verdicts: Sequence[PairVerdict], ref: int, refs: dict[int, Reference] | None) -> str:
    if refs and ref in refs:
        r = refs[ref]
        who = r.authors[0] if r.authors else ""
        return f"{who}: {r.title}" if who and who not in r.title else r.title
    return next((v.reference for v in verdicts if v.ref == ref), "")


def audit_report_markdown(
    verdicts: Sequence[PairVerdict],
    uncited: Sequence[UncitedQuotation] = (),
    metadata: Sequence[MetadataCheck] = (),
    settings: Settings | None = None,
    refs: dict[int, Reference] | None = None,
    consistency: Sequence[ConsistencyFinding] = (),
) -> str:
    """The audit as a Markdown report: the ranked findings first (most serious first, each with the
    paper's words, what the source says, why it matters and the verdict), the counts, every pair in one
    table that wraps instead of cutting, the quotations with their diffs and cuts, the consistency
    problems, the pairs without source text, quotations without a citation and reference metadata.
    Deterministic: no dates, so regenerating an unchanged audit gives an identical file."""
    settings = settings or get_settings()
    counts = verdict_counts(verdicts)
    quoted = [(v, q) for v in verdicts for q in v.quotes]
    problems = [m for m in metadata if m.status != "ok"]
    no_text = [v for v in verdicts if v.verdict == Verdict.NO_SOURCE_TEXT]
    findings = ranked_findings(verdicts, consistency)
    text = _template().substitute(
        finding_count=len(findings),
        findings=_lines([_finding_item(f) for f in findings]) if findings else "None.\n",
        summary_rows=_lines([f"| {name} | {n} |" for name, n in counts.items()]),
        total=len(verdicts),
        sentences=len({v.start for v in verdicts}),
        quotations=len(quoted),
        quotations_checked=sum(1 for _, q in quoted if q.status != "no-source-text"),
        uncited_count=len(uncited),
        consistency_count=len(consistency),
        mismatches=sum(1 for m in problems if m.status == "mismatch"),
        notes=sum(1 for m in problems if m.status == "note"),
        reference_rows=_lines(_reference_rows(verdicts, refs)),
        pair_rows=_lines([_pair_row(v) for v in verdicts]),
        quote_rows=_lines([_quote_item(v, q) for v, q in quoted]) if quoted else "None.\n",
        consistency_rows=_lines([_consistency_item(c) for c in consistency]) if consistency else "None found.\n",
        no_text_count=len(no_text),
        no_text_rows=_lines(_no_text_rows(no_text)),
        uncited_rows=_lines([_uncited_row(u) for u in uncited]) if uncited else "None.\n\n",
        metadata_rows=_metadata_rows(problems),
        **_method_values(settings),
    )
    return text.rstrip() + "\n"


def _finding_item(f: Finding) -> str:
    refs = ", ".join(f"[{r}]" for r in f.refs)
    lines = [
        f"{f.rank}. **{f.verdict}** — {refs + ' — ' if refs else ''}{f.kind.replace('-', ' ')}, "
        f"line {f.line}: {f.why}.",
        f"   - *The paper:* “{_cell(f.paper)}”",
    ]
    if f.source:
        lines.append(f"   - *The source:* “{_cell(f.source)}”")
    if f.detail and f.detail != f.why:
        lines.append(f"   - *Detail:* {_cell(f.detail)}")
    return "\n".join(lines)


def _judgement_cell(j) -> str:
    return str(j.verdict) if j is not None else "–"


def _pair_row(v: PairVerdict) -> str:
    cited_for = f"term “{_cell(v.attributed)}”" if v.citation_kind == "term" else v.citation_kind
    if v.claim_support is not None and v.claim_support.evidence:
        says = f"`{v.claim_support.passage_id}` “{_cell(v.claim_support.evidence)}”"
    elif v.evidence:
        says = f"`{v.evidence[0].passage_id}` “{_cell(v.evidence[0].sentence)}”"
    else:
        says = ""
    return (
        f"| [{v.ref}] | {v.section} | {v.line} | {cited_for} | **{v.verdict}** | {_judgement_cell(v.term_support)} | "
        f"{_judgement_cell(v.claim_support)} | {_cell(v.claim)} | {says} | {_cell(v.reason)} |"
    )


def _quote_item(v: PairVerdict, q) -> str:
    where = f" in `{q.passage_id}`" if q.passage_id else ""
    lines = [f"- **[{q.ref}]** line {v.line}: “{_cell(q.quote)}” — **{q.status}**{where}: {_cell(q.reason)}"]
    if q.ops or q.cut_before or q.cut_after:
        lines.append(f"  - diff: `{q.framed_diff()}`")
    elif q.source_text:
        lines.append(f"  - closest source text: “{_cell(q.source_text)}”")
    for qualifier in q.qualifiers:
        lines.append(f"  - drops the source's qualifier “{_cell(qualifier)}”")
    if q.voice:
        lines.append(f"  - {_cell(q.voice)}")
    return "\n".join(lines)


def _consistency_item(c: ConsistencyFinding) -> str:
    other = f"[{c.other_ref}] `{c.other_passage_id}`" if c.other_ref is not None else f"the paper, line {c.other_line}"
    return (
        f"- **{c.verdict}** ({c.kind.replace('-', ' ')}), line {c.line}: {_cell(c.why)}\n"
        f"  - the paper: “{_cell(c.sentence)}”\n  - {other}: “{_cell(c.other)}”"
    )


def _reference_rows(verdicts: Sequence[PairVerdict], refs: dict[int, Reference] | None) -> list[str]:
    rows = []
    for ref in sorted({v.ref for v in verdicts}):
        mine = [v for v in verdicts if v.ref == ref]
        c = verdict_counts(mine)
        rows.append(
            f"| [{ref}] | {_cell(_entry_label(verdicts, ref, refs))} | {len(mine)} | "
            + " | ".join(str(n) if n else "·" for n in c.values())
            + " |"
        )
    return rows


def _no_text_rows(no_text: Sequence[PairVerdict]) -> list[str]:
    rows = []
    for ref in sorted({v.ref for v in no_text}):
        mine = [v for v in no_text if v.ref == ref]
        rows.append(
            f"- **[{ref}]** {_cell(mine[0].reason)} — {len(mine)} pair{'s' if len(mine) > 1 else ''}: "
            + "; ".join(f"§{v.section} line {v.line} “{_cell(v.claim)}”" for v in mine)
        )
    return rows


def _uncited_row(u: UncitedQuotation) -> str:
    where = f"§{u.section} line {u.line}"
    if u.candidate is None:
        return f"- {where}: “{_cell(u.quotation.text)}” — no source in the corpus contains these words."
    c = u.candidate
    kind = "in its paraphrased key facts, not a verbatim excerpt" if u.paraphrase_only else c.status
    return (
        f"- {where}: “{_cell(u.quotation.text)}” — best candidate **[{c.ref}]** `{c.passage_id}` ({kind}, "
        f"{c.ratio:.0%} of its words): `{render_diff(c.ops)}`"
    )


def _metadata_rows(problems: Sequence[MetadataCheck]) -> str:
    if not problems:
        return "No disagreements.\n"
    rows = [
        "| ref | field | status | paper | references.json | source header | detail |",
        "|---:|---|---|---|---|---|---|",
    ]
    for m in sorted(problems, key=lambda m: (m.status != "mismatch", m.ref, m.field)):
        rows.append(
            f"| [{m.ref}] | {m.field} | {m.status} | {_cell(m.paper)} | {_cell(m.references_json)} | "
            f"{_cell(m.source)} | {_cell(m.detail)} |"
        )
    return _lines(rows)


def _method_values(settings: Settings) -> dict[str, str]:
    """The thresholds the "How to read this report" section states, as the report prints them."""
    audit, grounding = settings.audit, settings.grounding
    return {
        "similarity_weight": f"{grounding.similarity_weight:g}",
        "overlap_weight": f"{1 - grounding.similarity_weight:g}",
        "supported_threshold": f"{audit.supported_threshold:g}",
        "min_similarity": f"{audit.min_similarity:g}",
        "partial_threshold": f"{audit.partial_threshold:g}",
        "claim_supported_cosine": f"{CALIBRATION.claim_supported_cosine:g}",
        "claim_partial_cosine": f"{CALIBRATION.claim_partial_cosine:g}",
        "quote_dominated": f"{QUOTE_DOMINATED:.0%}",
        "quote_min_words": str(audit.quote_min_words),
        "quote_found_ratio": f"{audit.quote_found_ratio:.0%}",
    }
