"""What surrounds a quotation in its source: the words of the source sentence cut off before and after
it, a qualifier that the cut drops ("For some teams, …", "… of the future"), and whether the source says
it in its own voice as an expectation or a view ("We expect engineering to play …"), or reports someone
else's words (the quotation sits inside quotation marks of the source, after another speaker's name)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from ..core.text import content_words, sentence_spans
from ..core.types import Passage
from .polarity import BELIEF, EXPECTATION, FIRST_PERSON, HEDGES, REPORTING, UNIVERSALS, words
from .quotes import QuoteCheck

# A leading adverbial that sets the scope of what follows: "For some teams,", "In this case,", "At Meta,".
_SCOPE_LEAD = re.compile(r"^\W*((?:for|in|at|on|among|within|from)\s+[^,.;:]{2,40}),", re.I)
# Curator's notes after an excerpt ("(section heading), followed by: …") are not the source's words.
_NOTE = re.compile(r"\s*\([^()]*\)\s*(?:,?\s*followed by:?)?\s*$")


def _sentence_bounds(passage: Passage, offset: int) -> tuple[int, int]:
    """File offsets of the sentence of `passage` holding file offset `offset`."""
    spans = sentence_spans(passage.text, passage.start)
    for start, end in spans:
        if start <= offset < max(end, start + 1):
            return start, end
    return passage.start, passage.end


def _previous_sentence(passage: Passage, start: int) -> str:
    spans = [s for s in sentence_spans(passage.text, passage.start) if s[1] <= start]
    if not spans:
        return ""
    s, e = spans[-1]
    return passage.text[s - passage.start : e - passage.start]


def _clean(text: str) -> str:
    text = re.sub(r"^\s*\d+\.\s+", "", text)  # an excerpt's list number
    text = _NOTE.sub("", text)
    return re.sub(r"\s+", " ", text.strip(" \"“”'‘’")).strip()


def with_context(
    check: QuoteCheck, passages: Mapping[str, Passage], file_text: str, paper_sentence: str, paper_lead_in: str = ""
) -> QuoteCheck:
    """The quotation check with its cuts, the qualifier it drops and who says it in the source.
    paper_lead_in: the paper's words before the quotation (does the paper keep "expects", "notes"?)."""
    if check.start is None or check.end is None or not check.passage_id or check.passage_id not in passages:
        return check
    passage = passages[check.passage_id]
    s_start, _ = _sentence_bounds(passage, check.start)
    last = next((p for p in passages.values() if p.start <= check.end - 1 < p.end), passage)
    _, s_end = _sentence_bounds(last, max(check.start, check.end - 1))
    # the source's own words only: an excerpt's quotation marks close them off from the curator's notes
    before = _clean(re.split(r"[\"“”]", file_text[s_start : check.start])[-1])
    after = _clean(re.split(r"[\"“”]", file_text[check.end : s_end])[0])
    before_words = words(before)
    paper_words = set(words(paper_sentence))

    qualifiers: list[str] = []
    lead_in = set(words(paper_lead_in))
    lead = _SCOPE_LEAD.match(before) or (
        None if before_words else _SCOPE_LEAD.match(_clean(_previous_sentence(passage, s_start)))
    )
    if lead and not set(words(lead.group(1))) <= paper_words:
        lead_words = set(words(lead.group(1)))
        # a scope ("For some teams") always counts; a belief ("From what I understand") unless the paper
        # itself attributes the words to their speaker ("X noted that …")
        if lead_words & (HEDGES | UNIVERSALS) or (lead_words & BELIEF and not lead_in & REPORTING):
            qualifiers.append(lead.group(1))
    scope = [w for w in before_words if w in HEDGES | UNIVERSALS and w not in paper_words]
    qualifiers += [w for w in scope if not any(w in words(q) for q in qualifiers)]
    tail = re.match(r"^(of|in|for|at|by|over|within)\s+the\s+\w+", after, re.I)
    if tail and not set(words(tail.group(0))) <= paper_words:
        qualifiers.append(tail.group(0))

    voice = ""
    if any(w in FIRST_PERSON for w in before_words):
        if any(w in EXPECTATION for w in before_words):
            if not lead_in & EXPECTATION:
                voice = f"the source states it as its own expectation (“{before}”); the paper reports it as fact"
        elif not lead_in & REPORTING and (any(w in BELIEF for w in before_words) or len(before_words) <= 6):
            voice = f"the source states it in the first person, as its own view (“{before}”)"
    elif _inside_source_quote(file_text, s_start, check.start, check.end):
        speaker = [w for w in re.findall(r"\b[A-Z][a-z]+\b", before)[1:] if w.lower() not in FIRST_PERSON]
        if speaker:
            voice = f"the source quotes someone else here ({' '.join(speaker[:3])})"
    return replace(
        check,
        cut_before=before if content_words(before) else "",
        cut_after=after if content_words(after) else "",
        qualifiers=tuple(dict.fromkeys(qualifiers)),
        voice=voice,
    )


def _inside_source_quote(file_text: str, sentence_start: int, start: int, end: int) -> bool:
    """True when the matched words sit inside quotation marks that open after the sentence starts (the
    excerpt's own outer quotes, opening the line, do not count)."""
    line_start = file_text.rfind("\n", 0, start) + 1
    own = re.match(r"\s*(?:\d+\.\s+)?[\"“]", file_text[line_start:start])
    lo = max(sentence_start, line_start + (own.end() if own else 0))
    before = file_text[lo:start]
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1
