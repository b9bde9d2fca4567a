"""Quotations the paper gives without a citation, each with the source that best contains its words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.settings import Settings
from .citing import CitingSentence, claim_text
from .quotes import Quotation, QuoteCheck, best_quote_match
from .sources import SourceText

UNCITED_DIFFERS_RATIO = 0.8


@dataclass(frozen=True)
class UncitedQuotation:
    """A quotation in a sentence that cites nothing, with the source that best contains its words."""

    quotation: Quotation
    sentence: str
    section: str
    line: int
    candidate: QuoteCheck | None  # None: no source in the corpus contains these words
    paraphrase_only: bool = False  # found only in a source's paraphrased key facts

    def to_dict(self) -> dict:
        # Written by hand: the JSON flattens the quotation and gives the sentence as a claim.
        return {
            "quote": self.quotation.text,
            "sentence": claim_text(self.sentence),
            "section": self.section,
            "line": self.line,
            "start": self.quotation.start,
            "end": self.quotation.end,
            "candidate": self.candidate.to_dict() if self.candidate else None,
            "paraphrase_only": self.paraphrase_only,
        }


def uncited_quotation(
    quotation: Quotation, sentence: CitingSentence, sources: Sequence[SourceText], settings: Settings
) -> UncitedQuotation:
    """Look an uncited quotation up in every source: verbatim text first, then the paraphrased facts."""
    ratio = settings.audit.quote_found_ratio
    candidate = best_quote_match(quotation.text, [s.words for s in sources if s.words], ratio)
    if candidate is not None and candidate.status == "differs" and candidate.ratio < UNCITED_DIFFERS_RATIO:
        candidate = None  # without a citation to go by, a loose match is a coincidence of common words
    paraphrase_only = False
    if candidate is None:
        candidate = best_quote_match(quotation.text, [s.all_words for s in sources if s.all_words], ratio)
        if candidate is not None and candidate.status == "differs":
            candidate = None  # the key facts are paraphrases: only the same words there are a lead
        paraphrase_only = candidate is not None
    return UncitedQuotation(quotation, sentence.text, sentence.section, sentence.line, candidate, paraphrase_only)
