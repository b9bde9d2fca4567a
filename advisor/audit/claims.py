"""Two questions per citing pair, each with its own verdict and evidence.

- Term support: is what the citation names (a cited term, or the subject of a citing sentence) what the
  source is about? Judged on meaning: the term against every sentence span of the source, its title and
  the source as a whole, ranked against the other sources of the corpus (meaning.SpanIndex), with the
  term's own words as a second signal. One word of a term absent from an abstract is not a miss when the
  source is plainly about the idea ("scaling laws" and the Chinchilla abstract).
- Claim support: does the source support what the sentence says with it? For a sentence or clause
  citation, the attributed text; for a cited term, what the sentence uses the term for: the names,
  projects and numbers it ties to the term ("essential in … OpenAI's GPT-3 and GPT-4") must be in the
  source, or the sentence must match it in meaning. A citation used for a claim its source does not
  discuss is a finding of its own.

Thresholds are in CALIBRATION, fitted on benchmarks/data/audit_dev.jsonl (`advisor eval audit --fit`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from ..core.text import content_words, normalize_for_match
from ..core.types import Record, Verdict, rounded
from ..grounding import required_details
from .meaning import Match, SpanIndex
from .polarity import disagreement, shared_content
from .sources import SourceText
from .terms import TermCoverage


@dataclass(frozen=True)
class Calibration:
    """Thresholds of the meaning-based judgements (cosines are MiniLM all-MiniLM-L6-v2)."""

    term_margin_ok: float = 0.0  # a term whose source beats the corpus's 90th percentile is on it ...
    term_margin_strong: float = 0.05  # ... even when the term's head word is not in the source
    term_rank_partial: float = 0.35  # a term among the closest third of the corpus is at least partial
    claim_supported_cosine: float = 0.70  # a claim this close to one span of the source is borne out
    claim_partial_cosine: float = 0.45  # a clause this close to a span is supported in part
    claim_margin_ok: float = 0.05  # a term's use this far ahead of the corpus is what the source discusses
    contradiction_cosine: float = 0.55  # two statements this close are about the same thing ...
    contradiction_overlap: float = 0.5  # ... when they also share this much of their content words
    subject_rank_ok: float = 0.15  # a sentence's source among the closest sixth of the corpus is on its subject

    def to_dict(self) -> dict:
        return asdict(self)


CALIBRATION = Calibration()


@dataclass(frozen=True)
class Judgement(Record):
    """The answer to one of the two questions for a pair."""

    question: str  # "term" (is this what the source is about?) | "claim" (does it support the claim?)
    verdict: Verdict
    reason: str
    checked: str  # the text judged
    cosine: float = rounded(4)  # best span of the source
    margin: float = rounded(4)  # against the rest of the corpus (see meaning.Match)
    rank: int = 0  # the source's place among the corpus's sources for this text (1 = closest)
    evidence: str = ""  # the source span the judgement rests on
    passage_id: str | None = None
    missing: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))


def _from_match(question: str, verdict: Verdict, reason: str, checked: str, m: Match, missing=()) -> Judgement:
    return Judgement(
        question,
        verdict,
        reason,
        checked,
        m.cosine,
        m.best_margin,
        m.rank,
        m.span.text if m.span else "",
        m.span.passage_id if m.span else None,
        tuple(missing),
    )


def head_word(term: str) -> str:
    """The head of a noun phrase: the last word before a preposition ("simulators for evaluation" →
    "simulators", "long-horizon memory" → "memory")."""
    bare = term.split(" (")[0]
    first = re.split(r"\s+(?:for|of|from|with|in|on|to|by)\s+", bare, maxsplit=1)[0]
    tokens = re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", first)
    return tokens[-1] if tokens else ""


def term_judgement(term: str, coverage: TermCoverage, index: SpanIndex, ref: int, cal: Calibration) -> Judgement:
    """Is the cited term what source [ref] is about?"""
    bare = term.split(" (")[0]
    m = max((index.match(t, ref) for t in dict.fromkeys([bare, term])), key=lambda x: x.best_margin)
    head = head_word(term)
    head_found = any(w == head for w, _ in coverage.matched)
    where = f"closest of {m.of} sources" if m.rank == 1 else f"#{m.rank} of {m.of} sources"
    meaning = f"{where} for it (cosine {m.cosine:.2f}, {m.best_margin:+.2f} vs the corpus)"
    words = f" ({coverage.describe()})" if coverage.matched else ""
    if coverage.share >= 1.0:
        return _from_match("term", Verdict.SUPPORTED, f"the source uses its words{words}; {meaning}", term, m)
    if m.best_margin >= cal.term_margin_ok and (head_found or m.best_margin >= cal.term_margin_strong):
        gap = f"; “{'”, “'.join(coverage.missing)}” is not in its words but the idea is" if coverage.missing else ""
        return _from_match("term", Verdict.SUPPORTED, f"the source is about it: {meaning}{gap}", term, m)
    if coverage.share > 0 or m.rank_share <= cal.term_rank_partial:
        absent = f"“{'”, “'.join(coverage.missing)}”" if coverage.missing else "the term"
        head_note = f" (its head word “{head}” among them)" if head and not head_found else ""
        return _from_match(
            "term",
            Verdict.PARTIAL,
            f"the source is near the topic{words} but not about {absent}{head_note}: {meaning}",
            term,
            m,
            coverage.missing,
        )
    return _from_match(
        "term",
        Verdict.NOT_SUPPORTED,
        f"the source is not about it: {meaning}; closest: “{_short(m.span.text if m.span else '')}”",
        term,
        m,
        coverage.missing or (bare,),
    )


def _short(text: str, limit: int = 110) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


_EXAMPLE_LEAD = re.compile(r"^\s*(?:e\.g\.|i\.e\.|for example|for instance|such as|like)[,:]?\s*", re.I)
_NAMED = re.compile(r"\b[A-Z][A-Za-z]*(?:[-.]?\d+[A-Za-z]*|[A-Z]+[a-z]*)?\b")


def term_use(sentence_claim: str, term: str, terms: Sequence[str] = ()) -> str:
    """What the sentence says with a cited term. Inside a long parenthetical example ("(for instance,
    figuring out how to compress a model … can involve researching quantization)") it is that example;
    inside a short list of examples ("(e.g. scaling laws or RLHF)") it is the sentence the list
    illustrates; elsewhere, the clause that holds the term (not its siblings in a list)."""
    bare = term.split(" (")[0]
    for m in re.finditer(r"\(([^()]*)\)", sentence_claim):
        if bare in m.group(1):
            inner = _EXAMPLE_LEAD.sub("", m.group(1))
            rest = inner
            for t in [term, *terms]:
                rest = rest.replace(t.split(" (")[0], " ")
            if len(content_words(rest)) >= 4:
                return inner.strip()
            return re.sub(r"\s+", " ", sentence_claim[: m.start()] + sentence_claim[m.end() :]).strip()
    masked = re.sub(r"\([^()]*\)", lambda m: "x" * len(m.group(0)), sentence_claim)
    cuts = [0] + [i + 1 for i, ch in enumerate(masked) if ch in ",;:–—"] + [len(sentence_claim) + 1]
    for lo, hi in zip(cuts, cuts[1:]):
        piece = sentence_claim[lo : hi - 1]
        if bare in piece:
            return re.sub(r"\s*\([^()]*\)", "", piece).strip()
    return sentence_claim


def use_details(use: str, terms: list[str], source: SourceText) -> list[str]:
    """Names, products and numbers the sentence ties to its term ("OpenAI", "GPT-3"), not the terms' own
    words, not the first word of the text, not the source's own names ("Kaplan" for the Kaplan paper)."""
    term_words = {w.lower() for t in terms for w in re.findall(r"[A-Za-z0-9]+", t)}
    who = source.identity.lower()
    first = (re.findall(r"[A-Za-z0-9]+", use) or [""])[0]
    named = [m.group(0) for m in _NAMED.finditer(use)]
    details = [d for d in required_details(use) if not d.startswith(("“", '"')) and len(d.split()) <= 3]
    out = []
    for d in dict.fromkeys(named + details):
        if d.isdigit() and any(d in n for n in named):
            continue  # the "3" of "GPT-3"
        if d in named and d not in details and not re.search(r"\d", d):
            continue  # a capitalised common word ("While", "Research"): only required_details' names count
        if any(d in n and d != n for n in named if re.search(r"\d", n)):
            continue  # "GPT" of "GPT-3"
        if d.lower() in term_words or d.lower() in who or d == first:
            continue
        out.append(d)
    return out


def claim_for_term(
    sentence_claim: str, terms: list[str], term: Judgement, source: SourceText, index: SpanIndex, ref: int, cal
) -> Judgement:
    """Does the source support what the sentence uses the term for?"""
    use = term_use(sentence_claim, term.checked, terms)
    m = index.match(use, ref)
    details = use_details(use, terms, source)
    haystack = f" {normalize_for_match(' '.join(p.text for p in source.passages) + ' ' + source.identity)} "
    missing = [d for d in details if f" {normalize_for_match(d)} " not in haystack]
    if details and missing:
        found = [d for d in details if d not in missing]
        verdict = Verdict.PARTIAL if found else Verdict.NOT_SUPPORTED
        said = f"; it does name {', '.join(found)}" if found else ""
        return _from_match(
            "claim",
            verdict,
            f"the sentence uses [{ref}] for a claim about {', '.join(details)}, which the source does not "
            f"discuss: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in it{said}",
            use,
            m,
            missing,
        )
    if m.cosine >= cal.claim_supported_cosine or (details and m.best_margin >= cal.claim_margin_ok):
        return _from_match(
            "claim",
            Verdict.SUPPORTED,
            f"the source bears out what the sentence uses it for (cosine {m.cosine:.2f})",
            use,
            m,
        )
    return _from_match(
        "claim",
        term.verdict,
        "the citation names an example of the term; the rest of the sentence is the paper's own framing",
        use,
        m,
    )


def contradiction(claim: str, index: SpanIndex, ref: int, cal: Calibration) -> tuple[str, str, str | None]:
    """(why, source span, passage id) when a span of [ref] about the same thing says otherwise."""
    for cosine, span in index.spans_above(claim, ref, cal.contradiction_cosine)[:6]:
        if span.kind == "title" or shared_content(claim, span.text) < cal.contradiction_overlap:
            continue
        why = disagreement(claim, span.text)
        if why:
            return f"{why} (cosine {cosine:.2f})", span.text, span.passage_id
    return "", "", None


def subject_judgement(attributed: str, source: SourceText, index: SpanIndex, ref: int, cal: Calibration) -> Judgement:
    """For a sentence or clause citation: is the source about the sentence's subject (its named
    organisation or person, or its topic)?"""
    m = index.match(attributed, ref)
    names = [d for d in required_details(attributed) if not d[0].isdigit() and not d.startswith(("“", '"'))]
    who = source.identity.lower()
    theirs = [n for n in names if n.lower().rstrip("’s'") in who]
    where = f"#{m.rank} of {m.of} sources for the sentence"
    if theirs:
        return _from_match("term", Verdict.SUPPORTED, f"the source is {theirs[0]}'s own ({where})", attributed, m)
    if m.rank_share <= cal.subject_rank_ok:
        return _from_match(
            "term", Verdict.SUPPORTED, f"the source is on the sentence's subject ({where})", attributed, m
        )
    if m.rank_share <= cal.term_rank_partial:
        return _from_match(
            "term", Verdict.PARTIAL, f"the source is near the sentence's subject ({where})", attributed, m
        )
    return _from_match(
        "term",
        Verdict.NOT_SUPPORTED,
        f"other sources of the corpus are closer to the sentence ({where})",
        attributed,
        m,
    )


def content_share(text: str, other: str) -> float:
    words = set(content_words(text))
    return len(words & set(content_words(other))) / len(words) if words else 0.0
