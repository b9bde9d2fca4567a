"""A draft as claims: its sentences, each with the citation markers it carries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import CITATION_WITH_SPACE, citation_numbers, sentence_spans


@dataclass(frozen=True)
class DraftSentence:
    text: str  # without citation markers
    citations: tuple[int, ...]
    raw: str


def split_claims(text: str) -> list[DraftSentence]:
    """Sentences of a draft with the [n] markers each carries (markers removed from the text)."""
    out: list[DraftSentence] = []
    for s, e in sentence_spans(text.strip()):
        raw = text.strip()[s:e].strip()
        numbers: list[int] = []
        for match in CITATION_WITH_SPACE.finditer(raw):
            for n in citation_numbers(match.group(1)):
                if n not in numbers:
                    numbers.append(n)
        clean = CITATION_WITH_SPACE.sub("", raw).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if re.search(r"[A-Za-z]", clean):
            out.append(DraftSentence(clean, tuple(numbers), raw))
    return out
