"""Composing answers: the best evidence sentences quoted and cited, and the final numbering of citations."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.settings import Settings
from ..core.text import (
    content_words,
    normalize_for_match,
    normalize_ws,
    sentence_spans,
    stem,
    strip_citations,
    strip_markdown,
)
from ..core.types import Answer, Citation, Claim, Evidence, Origin, Passage, PassageKind
from ..corpus import Reference, attribution, author_phrase
from ..grounding import encode_cached
from .coverage import ASKS_QUANTITY, FRAMING_WORDS, QUESTION_WORDS
from .draft import is_instruction_like


@dataclass(frozen=True)
class Focus:
    """What a follow-up adds to sentence ranking: its own words (the standalone question carries the previous
    one's too) and the earlier answers' texts: a sentence they quoted is not what a follow-up asks for again."""

    own: str = ""
    said: tuple[str, ...] = ()
    repeat_penalty: float = 0.0

    def asked(self, question: str) -> str:
        """A follow-up's own words, "" when they are the question itself (not a follow-up)."""
        return self.own if self.own and self.own != question else ""


def _said_key(quote: str) -> str:
    return normalize_ws(quote).strip("“” ").lower()


# Words that ask ("what", "source") or frame ("what does it actually do") rather than name the topic: a sentence is
# not ranked for them (the one framing list the coverage check uses). Content words are stems: "source" -> "sourc".
QUESTION_STEMS = (QUESTION_WORDS | FRAMING_WORDS) | {stem(w) for w in QUESTION_WORDS | FRAMING_WORDS}


def word_weights(*texts: str, idf: Mapping[str, float] | None = None) -> dict[str, float]:
    """The IDF weight of each content word of the texts (question words left out)."""
    words = set().union(*(content_words(t) for t in texts if t)) - QUESTION_STEMS
    return {w: (idf or {}).get(w, 1.0) for w in words}


def word_share(weights: dict[str, float], text: str) -> float:
    """The IDF-weighted share of the weighted words that `text` holds (0 when there are none)."""
    total = sum(weights.values())
    return sum(weights[w] for w in weights.keys() & set(content_words(text))) / total if total else 0.0


def rank_sentences(
    question: str,
    evidence: Sequence[Evidence],
    embedder,
    idf: dict[str, float] | None = None,
    order_bonus: float = 0.02,
    focus: Focus | None = None,
    max_similarity: float = 0.95,
) -> list[tuple[int, int, str, float]]:
    """Every usable sentence of the evidence, best first, duplicates dropped: (evidence number from 1,
    position in its passage, sentence, score). Score = cosine to the question + IDF-weighted share of the
    question's content words in the sentence (a follow-up's own words, `focus.own`, when given: the standalone
    question also carries what it was resolved with, "the ML Engineer role", which every sentence of that role's
    definition repeats), + `order_bonus` per place of retrieval rank, which breaks near-ties (0 when the passages
    are not ranked, e.g. a section read in reading order)."""
    focus = focus or Focus()
    own = focus.asked(question)
    weights = word_weights(own or question, idf=idf)
    candidates: list[tuple[int, int, str, bool]] = []  # (evidence number, position, sentence, is reference)
    for n, ev in enumerate(evidence, 1):
        if ev.passage.kind == PassageKind.REFERENCE and ev.passage.doc != "paper":
            continue  # a source's metadata header reads badly as an answer sentence
        is_reference = ev.passage.kind == PassageKind.REFERENCE
        for i, sentence in enumerate(_raw_sentences(ev.passage)):
            if len(sentence.split()) >= 4 and not is_instruction_like(sentence):
                candidates.append((n, i, sentence.strip(), is_reference))
    if not candidates:
        return []
    vectors = encode_cached(embedder, [question, own or question] + [c[2] for c in candidates])
    sims = vectors[2:] @ ((vectors[0] + vectors[1]) / 2)
    said = " ".join(_said_key(s) for s in focus.said)
    scores = []
    asks_for_works = bool(_ASKS_FOR_WORKS.search(question))
    asks_quantity = bool(ASKS_QUANTITY.search(own or question))
    paper_first = asks_the_paper(own or question)  # a follow-up asks its own words of the paper, or not
    for (n, _, sentence, is_reference), sim in zip(candidates, sims):
        overlap = word_share(weights, sentence)
        rank_bonus = order_bonus * (len(evidence) - n)
        # A bibliography line answers "who wrote X" but reads badly as an answer to anything else.
        penalty = 0.3 if is_reference and not asks_for_works else 0.0
        if said and _said_key(quote_text(sentence)) in said:  # quoted by an earlier answer
            penalty += focus.repeat_penalty
        # a question that asks for an amount ("how big did the memory get?") is answered by a sentence stating
        # a number ("up to 262K tokens"), not only by the one sharing most of its words
        number = 0.1 if asks_quantity and re.search(r"\d", strip_citations(sentence)) else 0.0
        # "according to the paper": its own sentences first (0.2: at 0.1 a source's sentences on the same topic
        # still crowded the paper's answer out of one of the two dev turns it fixes)
        paper = 0.2 if paper_first and evidence[n - 1].passage.doc == "paper" and not is_reference else 0.0
        scores.append(float(sim) + 0.5 * overlap + rank_bonus + number + paper - penalty)
    ranked: list[tuple[int, int, str, float]] = []
    kept: list[int] = []
    kept_words: list[str] = []
    candidate_vectors = vectors[2:]
    for idx in np.argsort(-np.asarray(scores)):
        n, pos, sentence, _ = candidates[idx]
        # the same sentence twice (a repeated excerpt, the paper quoting a source's sentence inside its own, with
        # a word more or less) is said once, where it ranks best
        words = normalize_for_match(quote_text(sentence))
        if kept and (
            float((candidate_vectors[kept] @ candidate_vectors[idx]).max()) >= max_similarity
            or any(words in other or other in words for other in kept_words)
        ):
            continue
        kept.append(int(idx))
        kept_words.append(words)
        ranked.append((n, pos, sentence, scores[idx]))
    return ranked


def evidence_claims(
    question: str,
    evidence: Sequence[Evidence],
    embedder,
    settings: Settings,
    idf: dict[str, float] | None = None,
    focus: Focus | None = None,
) -> tuple[list[Claim], list[Claim]]:
    """The best evidence sentences for the question, quoted and cited: (best first, in reading order)."""
    ranked = rank_sentences(question, evidence, embedder, idf, focus=focus)
    if asks_the_paper((focus.asked(question) if focus else "") or question):
        # "what does the paper say about ...": the paper's own sentences, when it has some, are the whole answer
        # (a longer answer would otherwise fill its tail with a source's sentences on the same topic)
        own = [row for row in ranked if evidence[row[0] - 1].passage.doc == "paper"]
        ranked = own if len(own) >= settings.answer.grounded_lead_quotes else ranked
    chosen = ranked[: settings.answer.evidence_sentences]

    def claims(rows):
        return [Claim(quote_text(sentence), (n,), 1.0, True, Origin.QUOTE) for n, _, sentence, _ in rows]

    return claims(chosen), claims(sorted(chosen, key=lambda c: (c[0], c[1])))


_ASKS_FOR_WORKS = re.compile(
    r"\b(who wrote|wrote|author|authors|authored|cited|cite|cites|reference|paper on|"
    r"published|benchmark)\b",
    re.I,
)


# "according to the paper", "per the paper", "what's this paper's take", "does the paper say ...": the question asks
# what the paper says, so the paper's own sentences answer it before a cited source's
_ASKS_THE_PAPER = re.compile(
    r"\b(?:according to|per|in|from)\s+(?:the|this)\s+(?:position\s+|roles\s+continuum\s+)?paper\b"
    r"|\b(?:the|this)\s+paper(?:'s|’s)\s+(?:take|view|position|claim|argument|answer|account)\b"
    r"|\b(?:does|did|do)\s+(?:the|this)\s+paper\s+(?:say|mention|claim|state|argue|suggest)\b",
    re.I,
)


def asks_the_paper(question: str) -> bool:
    """Whether the question asks what the paper itself says ("do REs need a PhD, according to the paper?")."""
    return bool(_ASKS_THE_PAPER.search(question))


def _raw_sentences(passage: Passage) -> list[str]:
    return [passage.text[s:e] for s, e in sentence_spans(passage.text)] or [passage.text]


def quote_text(sentence: str) -> str:
    """A source sentence as a quotation: markdown, list numbers, bold labels and its own markers removed."""
    sentence = re.sub(r"^\*\*[^*]{1,80}:\*\*\s*", "", sentence.strip())  # a bullet's bold label is not a quote
    sentence = strip_markdown(sentence).strip()
    sentence = re.sub(r"^\d+\.\s+", "", sentence)  # numbered excerpt lists
    sentence = strip_citations(sentence)  # the source's own markers
    return "“" + sentence.strip(' “”"') + "”"


def assemble(
    question: str,
    claims: Sequence[Claim],
    evidence: Sequence[Evidence],
    works: Mapping[int, Reference] | None = None,
    **fields,
) -> Answer:
    """Renumber the cited passages 1..m in order of first use and render the answer text. `works`: the cited
    works by number; where the speaker of a run of bare quotations changes, the run says whose words they are
    ("Chip Huyen (2021, reference 12): “Research scientists should, first and foremost, be engineers.” [1]", her
    name alone once the answer has named the work, then "The paper: “…”"), so a reader never has to open a
    citation to learn who said it. The paper is the speaker an answer starts with; a statement that quotes a
    source ("On your question, the source says: “…”") introduces it for the quotations after it."""
    mapping: dict[int, int] = {}
    for claim in claims:
        for n in claim.citations:
            mapping.setdefault(n, len(mapping) + 1)
    renumbered = [
        Claim(c.text, tuple(mapping[n] for n in c.citations), c.support, c.supported, c.origin) for c in claims
    ]
    parts: list[str] = []
    speaker: int | str | None = None  # whose words the last bare quotation was: a work's number, or "paper"
    for claim, original in zip(renumbered, claims):
        markers = "".join(f"[{n}]" for n in claim.citations)
        text = claim.text.rstrip()
        bare = claim.origin == Origin.QUOTE and text.startswith("“") and bool(original.citations)
        if bare and works:
            ref = evidence[original.citations[0] - 1].passage.ref
            now = ref if ref in works else "paper"
            if now != speaker and now != "paper":
                named = re.search(rf"\b[Rr]eferences? (?:\d+, |\d+ and )*{ref}\b", " ".join(parts))
                text = f"{author_phrase(works[ref]) if named else attribution(works[ref])}: {text}"
            elif now != speaker and speaker is not None:
                text = f"The paper: {text}"
            speaker = now
        elif not bare:
            # "On your question, the source says: “…”" introduces its speaker for the quotations that follow
            ref = evidence[original.citations[-1] - 1].passage.ref if original.citations else None
            speaker = ref if "“" in text and ref is not None else None
        if claim.origin == Origin.QUOTE:
            parts.append(f"{text} {markers}".strip())
        else:
            body = text[:-1] if text[-1:] in ".!?" else text
            end = text[-1] if text[-1:] in ".!?" else "."
            parts.append(f"{body} {markers}{end}".replace(" .", ".") if markers else f"{body}{end}")
    citations = tuple(Citation(new, evidence[old - 1]) for old, new in sorted(mapping.items(), key=lambda kv: kv[1]))
    return Answer(question=question, answer=" ".join(parts), citations=citations, claims=tuple(renumbered), **fields)
