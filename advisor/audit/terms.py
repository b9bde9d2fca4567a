"""A citation on a phrase ("quantization [13–15]") vouches for a term: how much of it the source's words cover."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import content_words, stem
from .sources import SourceText
from .words import norm

_WORD = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"  # hyphenated compounds kept whole


@dataclass(frozen=True)
class TermCoverage:
    """How much of a cited term the source's words cover."""

    share: float
    missing: tuple[str, ...]  # the term's words the source does not use
    matched: tuple[tuple[str, str], ...]  # (term word, the source word that matched it)

    def describe(self) -> str:
        return "; ".join(f"“{w}” ~ “{hit}”" if norm(w) != norm(hit) else f"“{w}”" for w, hit in self.matched)


NO_COVERAGE = TermCoverage(0.0, (), ())


def term_coverage(term: str, source: SourceText) -> TermCoverage:
    """Share of a cited term's content words found in the source (its title included), by stem or a
    shared stem prefix ("planners" ~ "plans", "memory" ~ "memorization"). A hyphenated compound
    ("long-horizon") must occur whole."""
    words = [w for w in dict.fromkeys(re.findall(_WORD, term.split(" (")[0])) if content_words(w)]
    if not words:
        return NO_COVERAGE
    haystack = (
        " ".join(p.text for p in source.passages)
        + f" {source.ref.title} "
        + (source.header.title if source.header else "")
    )
    source_words_by_stem: dict[str, str] = {}
    for word in re.findall(_WORD, haystack):
        for variant in {word, *word.split("-")}:
            source_words_by_stem.setdefault(_compound_stem(variant), variant)
    missing, matched = [], []
    for word in words:
        key = _compound_stem(word)
        hit = source_words_by_stem.get(key)
        if hit is None and "-" not in word:
            hit = next(
                (
                    w
                    for s, w in sorted(source_words_by_stem.items())
                    if "-" not in s and min(len(key), len(s)) >= 4 and (s.startswith(key) or key.startswith(s))
                ),
                None,
            )
        if hit is None:
            missing.append(word)
        else:
            matched.append((word, hit))
    return TermCoverage(1 - len(missing) / len(words), tuple(missing), tuple(matched))


def _compound_stem(word: str) -> str:
    return "-".join(stem(part.lower()) for part in word.split("-"))


def term_score(coverage: float, support_score: float) -> float:
    """A cited term's score: the mean of the share of its words the source uses and the support score
    (a one-word term embeds poorly, so the words count as much as the similarity)."""
    return (coverage + support_score) / 2
