"""Grounding: split text into claims and score how well passages support each claim.

Shared by the answer pipeline (verify every drafted sentence) and the citation audit (does a source
support the paper's sentence). Support combines three signals, each cheap and explainable:
- semantic: MiniLM cosine between the claim and the best sentence of the cited passages;
- lexical: share of the claim's content words found in those passages;
- hard checks: every number, capitalised name and quoted phrase of the claim must appear in the
  evidence — a fluent sentence that invents "40%" or "Google" is not supported, however similar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.settings import GroundingSettings, Settings, get_settings
from ..core.text import (
    STOPWORDS,
    content_words,
    normalize_for_match,
    quoted_phrases,
    sentence_spans,
    stem,
    strip_markdown,
)
from ..core.types import Passage
from .vectors import encode_cached

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\s*%?")
_NAME = re.compile(r"\b([A-Z][a-zA-Z0-9]+(?:[-\s][A-Z][a-zA-Z0-9]+)*)")
_COMMON_CAPITALS = frozenset(
    {
        "I",
        "AI",
        "ML",
        "The",
        "A",
        "An",
        "In",
        "It",
        "This",
        "They",
        "For",
        "As",
        "On",
        "Research",
        "Engineer",
        "Engineers",
        "Scientist",
        "Scientists",
        "Applied",
        "Machine",
        "Learning",
        "Engineering",
        "Roles",
        "Role",
        "Continuum",
        "Table",
        "Section",
        "PhD",
        "Ph",
        "D",
        "Yes",
        "No",
        "However",
        "Both",
        "Many",
        "Most",
        "Some",
    }
)


def required_details(claim: str) -> list[str]:
    """Numbers, quoted phrases and capitalised names a claim asserts (each must be in the evidence)."""
    details = [m.group(0).strip() for m in _NUMBER.finditer(claim)]
    details += quoted_phrases(claim)
    for match in _NAME.finditer(claim):
        for word in match.group(1).split():
            if word not in _COMMON_CAPITALS and word.lower() not in STOPWORDS and len(word) > 1:
                details.append(word)
    return list(dict.fromkeys(details))


def missing_details(claim: str, evidence_text: str) -> tuple[str, ...]:
    haystack = f" {normalize_for_match(evidence_text)} "
    missing = []
    for detail in required_details(claim):
        needle = normalize_for_match(detail)
        if needle and f" {needle} " not in haystack and not _stem_present(needle, haystack):
            missing.append(detail)
    return tuple(missing)


def _stem_present(needle: str, haystack: str) -> bool:
    """'Meta's' vs 'meta', 'GPUs' vs 'gpu': accept a match on the word's stem."""
    words = needle.split()
    return len(words) == 1 and not words[0].isdigit() and f" {stem(words[0])}" in haystack


@dataclass(frozen=True)
class Support:
    score: float  # 0..1
    supported: bool
    passage_id: str | None  # the best supporting passage
    sentence: str  # the best supporting sentence in it
    similarity: float  # cosine(claim, best sentence)
    overlap: float  # share of the claim's content words found in the evidence
    missing: tuple[str, ...]  # numbers / names / quotes of the claim absent from the evidence


def passage_sentences(passage: Passage) -> list[str]:
    text = passage.text
    return [strip_markdown(text[s:e]) for s, e in sentence_spans(text)] or [strip_markdown(text)]


def support_score(similarity: float, overlap: float, knobs: GroundingSettings) -> float:
    w = knobs.similarity_weight
    return float(np.clip(w * similarity + (1 - w) * overlap, 0.0, 1.0))


def score_support(claim: str, passages: Sequence[Passage], embedder, settings: Settings | None = None) -> Support:
    """How well the passages support the claim; supported needs the score over the threshold and
    every number, name and quotation of the claim present in the evidence."""
    settings = settings or get_settings()
    claim = strip_markdown(claim).strip()
    if not passages or not claim:
        return Support(0.0, False, None, "", 0.0, 0.0, tuple(required_details(claim)))
    sentences: list[tuple[Passage, str]] = [(p, s) for p in passages for s in passage_sentences(p)]
    vectors = encode_cached(embedder, [claim] + [s for _, s in sentences])
    sims = vectors[1:] @ vectors[0]
    best = int(np.argmax(sims))
    best_passage, best_sentence = sentences[best]
    claim_words = set(content_words(claim))
    best_overlap, best_passage_overlap_id = 0.0, best_passage.id
    for p in passages:
        words = set(content_words(p.text))
        overlap = len(claim_words & words) / len(claim_words) if claim_words else 0.0
        if overlap > best_overlap:
            best_overlap, best_passage_overlap_id = overlap, p.id
    similarity = float(sims[best])
    evidence_text = " ".join(p.text for p in passages)
    missing = missing_details(claim, evidence_text)
    score = support_score(similarity, best_overlap, settings.grounding)
    supported = (
        score >= settings.grounding.threshold and similarity >= settings.grounding.min_similarity and not missing
    )
    return Support(
        score,
        supported,
        best_passage.id if similarity >= 0.3 else best_passage_overlap_id,
        best_sentence,
        similarity,
        best_overlap,
        missing,
    )
