"""The ranked findings at the top of the report: every problem the audit found, most serious first, each
with the paper's words, what the source actually says, why it matters and the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.types import Record, Verdict
from .consistency import ConsistencyFinding
from .verdicts import PairVerdict

_WHY = {
    Verdict.CONTRADICTED: "a reader who follows the citation finds the opposite of what the paper says",
    Verdict.NOT_SUPPORTED: "the citation lends the sentence an authority its source does not give",
    Verdict.UNVERIFIABLE: "our copy of the source lacks the part that would hold it: check the full source",
}


@dataclass(frozen=True)
class Finding(Record):
    rank: int
    severity: int  # 5 contradicted … 1 unchecked (no source text)
    kind: str  # citation | quotation | claim-use | unchecked | uncited-vs-source | paper-vs-paper
    verdict: Verdict
    paper: str  # the paper's words
    source: str  # what the source (or the other sentence) actually says
    why: str  # why it matters
    detail: str  # the audit's reason
    refs: tuple[int, ...]
    line: int
    ids: tuple[str, ...]  # the pair ids (or paper offsets) it covers

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))


def _pair_kind_and_why(v: PairVerdict) -> tuple[str, str]:
    if v.verdict == Verdict.NO_SOURCE_TEXT:
        return "unchecked", "nothing in the corpus can confirm it: we hold only the reference entry"
    if v.claim_support is not None and v.claim_support.missing and v.citation_kind == "term":
        return "claim-use", (
            f"the source backs the term “{v.attributed}” but not what the sentence uses it for "
            f"({', '.join(v.claim_support.missing)})"
        )
    flagged = [q for q in v.quotes if q.qualifiers or q.voice]
    if flagged:
        q = flagged[0]
        if q.voice:
            return "quotation", f"{q.voice}"
        return "quotation", f"the source limits it (“{q.qualifiers[0]}”); the paper states it without the limit"
    if any(q.status == "differs" for q in v.quotes):
        return "quotation", "the paper's quotation does not give the source's words"
    if v.verdict in _WHY:
        return "citation", _WHY[v.verdict]
    return "citation", "only part of what the sentence attributes to the source is in it"


def _source_words(v: PairVerdict) -> str:
    for q in v.quotes:
        if q.source_text and q.status != "not-found":
            framed = f"{q.cut_before} " if q.cut_before else ""
            return f"{framed}{q.source_text}{' ' + q.cut_after if q.cut_after else ''}".strip()
    if v.claim_support is not None and v.claim_support.evidence:
        return v.claim_support.evidence
    if v.evidence:
        return v.evidence[0].sentence
    return ""


def ranked_findings(verdicts: Sequence[PairVerdict], consistency: Sequence[ConsistencyFinding] = ()) -> list[Finding]:
    """Pairs that are not supported and consistency problems, most serious first. Pairs without source
    text are grouped into one finding per reference."""
    rows: list[tuple[tuple, dict]] = []
    unchecked: dict[int, list[PairVerdict]] = {}
    for v in verdicts:
        if v.verdict == Verdict.SUPPORTED:
            continue
        if v.verdict == Verdict.NO_SOURCE_TEXT:
            unchecked.setdefault(v.ref, []).append(v)
            continue
        kind, why = _pair_kind_and_why(v)
        row = {
            "severity": v.severity or 2,
            "kind": kind,
            "verdict": v.verdict,
            "paper": v.claim if v.citation_kind != "term" else f"{v.claim} [cited for “{v.attributed}”]",
            "source": _source_words(v),
            "why": why,
            "detail": v.reason,
            "refs": (v.ref,),
            "line": v.line,
            "ids": (v.id,),
        }
        rows.append(((-row["severity"], v.start, v.ref), row))
    for c in consistency:
        where = f"[{c.other_ref}]" if c.other_ref is not None else f"the paper, line {c.other_line}"
        row = {
            "severity": 5 if c.kind == "uncited-vs-source" else 4,
            "kind": c.kind,
            "verdict": c.verdict,
            "paper": c.sentence,
            "source": c.other,
            "why": (
                f"an uncited sentence that {where} contradicts: {c.why}"
                if c.kind == "uncited-vs-source"
                else f"the paper disagrees with itself ({where}): {c.why}"
            ),
            "detail": f"cosine {c.cosine:.2f}",
            "refs": (c.other_ref,) if c.other_ref is not None else (),
            "line": c.line,
            "ids": (f"paper@{c.start}",),
        }
        rows.append(((-row["severity"], c.start, 0), row))
    for ref, mine in sorted(unchecked.items()):
        row = {
            "severity": 1,
            "kind": "unchecked",
            "verdict": Verdict.NO_SOURCE_TEXT,
            "paper": " / ".join(v.claim for v in mine[:3]) + (f" (+{len(mine) - 3} more)" if len(mine) > 3 else ""),
            "source": "",
            "why": f"{len(mine)} sentence{'s' if len(mine) > 1 else ''} rest on [{ref}], "
            "which nothing in the corpus can confirm",
            "detail": mine[0].reason,
            "refs": (ref,),
            "line": mine[0].line,
            "ids": tuple(v.id for v in mine),
        }
        rows.append(((-1, mine[0].start, ref), row))
    rows.sort(key=lambda r: r[0])
    return [Finding(rank=i + 1, **row) for i, (_, row) in enumerate(rows)]
