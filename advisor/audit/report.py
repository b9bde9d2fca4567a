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
from .diff import render_diff
from .metadata import MetadataCheck
from .uncited import UncitedQuotation
from .verdicts import QUOTE_DOMINATED, PairVerdict, excerpt, verdict_counts

_KIND_LABEL = {"sentence": "the sentence", "clause": "the clause before the marker", "term": "the term"}


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
) -> str:
    """The audit as a Markdown report: counts per verdict and per reference, every partial and
    not-supported pair with its evidence and quotation diff, the pairs without source text, the
    supported pairs, quotations without a citation and reference metadata mismatches. Deterministic:
    no dates, so regenerating an unchanged audit gives an identical file."""
    settings = settings or get_settings()
    counts = verdict_counts(verdicts)
    quoted = [(v, q) for v in verdicts for q in v.quotes]
    problems = [m for m in metadata if m.status != "ok"]
    no_text = [v for v in verdicts if v.verdict == Verdict.NO_SOURCE_TEXT]
    supported = [v for v in verdicts if v.verdict == Verdict.SUPPORTED]
    text = _template().substitute(
        summary_rows=_lines([f"| {name} | {n} |" for name, n in counts.items()]),
        total=len(verdicts),
        sentences=len({v.start for v in verdicts}),
        quotations=len(quoted),
        quotations_checked=sum(1 for _, q in quoted if q.status != "no-source-text"),
        uncited_count=len(uncited),
        mismatches=sum(1 for m in problems if m.status == "mismatch"),
        notes=sum(1 for m in problems if m.status == "note"),
        reference_rows=_lines(_reference_rows(verdicts, refs)),
        problem_pairs=_problem_pairs(verdicts),
        no_text_count=len(no_text),
        no_text_rows=_lines(_no_text_rows(no_text)),
        supported_count=len(supported),
        supported_rows=_lines([_supported_row(v) for v in supported]),
        quote_rows=_lines(
            [f"| [{q.ref}] | {v.line} | “{_cell(q.quote, 90)}” | {q.status} | {_cell(q.reason)} |" for v, q in quoted]
        ),
        uncited_rows=_lines([_uncited_row(u) for u in uncited]) if uncited else "None.\n\n",
        metadata_rows=_metadata_rows(problems),
        **_method_values(settings),
    )
    return text.rstrip() + "\n"


def _reference_rows(verdicts: Sequence[PairVerdict], refs: dict[int, Reference] | None) -> list[str]:
    rows = []
    for ref in sorted({v.ref for v in verdicts}):
        mine = [v for v in verdicts if v.ref == ref]
        c = verdict_counts(mine)
        rows.append(
            f"| [{ref}] | {_cell(_entry_label(verdicts, ref, refs), 70)} | {len(mine)} | "
            + " | ".join(str(n) if n else "·" for n in c.values())
            + " |"
        )
    return rows


def _problem_pairs(verdicts: Sequence[PairVerdict]) -> str:
    """The not-supported, then the partial pairs, each with its evidence and quotation diffs."""
    out: list[str] = []
    for verdict, heading in ((Verdict.NOT_SUPPORTED, "Not supported"), (Verdict.PARTIAL, "Partially supported")):
        chosen = [v for v in verdicts if v.verdict == verdict]
        out.append(f"## {heading} ({len(chosen)})\n")
        if not chosen:
            out.append("None.\n")
        for v in chosen:
            out.extend(_pair_section(v))
    return _lines(out)


def _pair_section(v: PairVerdict) -> list[str]:
    lines = [f"### [{v.ref}] §{v.section} line {v.line} — {v.verdict}\n", f"> {v.claim}\n"]
    cited_for = _KIND_LABEL[v.citation_kind]
    if v.citation_kind != "sentence":
        cited_for += f": “{v.attributed}”"
    lines.append(f"- **Reason:** {v.reason}")
    lines.append(f"- **Cited for:** {cited_for}")
    lines.append(f"- **Reference:** {v.reference}")
    if v.evidence:
        lines.append(f"- **Evidence** (best passages of [{v.ref}], support score):")
        for e in v.evidence:
            lines.append(f"  - `{e.passage_id}` {e.score:.2f} — “{_cell(e.sentence, 220)}”")
    for q in v.quotes:
        where = f" in `{q.passage_id}`" if q.passage_id else ""
        lines.append(
            f"- **Quotation** “{_cell(q.quote, 120)}” — {q.status} ({q.ratio:.0%} of its words found{where}): "
            f"{q.reason}"
        )
        if q.ops:
            lines.append(f"  - diff: `{render_diff(q.ops)}`")
        elif q.source_text:
            lines.append(f"  - closest source text: “{_cell(q.source_text, 160)}”")
    lines.append("")
    return lines


def _no_text_rows(no_text: Sequence[PairVerdict]) -> list[str]:
    rows = []
    for ref in sorted({v.ref for v in no_text}):
        mine = [v for v in no_text if v.ref == ref]
        rows.append(
            f"- **[{ref}]** {_cell(mine[0].reason)} — {len(mine)} pair{'s' if len(mine) > 1 else ''}: "
            + "; ".join(f"§{v.section} line {v.line} “{_cell(v.claim, 80)}”" for v in mine)
        )
    return rows


def _supported_row(v: PairVerdict) -> str:
    best = v.evidence[0] if v.evidence else None
    cited_for = "term “" + _cell(v.attributed) + "”" if v.citation_kind == "term" else v.citation_kind
    return (
        f"| [{v.ref}] | {v.section} | {v.line} | {cited_for} | {v.score:.2f} | {_cell(v.claim, 110)} | "
        + (f"`{best.passage_id}` “{_cell(best.sentence, 80)}”" if best else "")
        + " |"
    )


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
            f"| [{m.ref}] | {m.field} | {m.status} | {_cell(m.paper, 50)} | {_cell(m.references_json, 50)} | "
            f"{_cell(m.source, 50)} | {_cell(m.detail)} |"
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
        "term_similarity": f"{audit.term_similarity:g}",
        "quote_dominated": f"{QUOTE_DOMINATED:.0%}",
        "quote_min_words": str(audit.quote_min_words),
        "quote_found_ratio": f"{audit.quote_found_ratio:.0%}",
    }
