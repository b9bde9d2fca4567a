"""The paper's sentences, the ones that cite, and what each citation marker in them vouches for.

This is the one cut of paper.md into sentences for everything citation-related: the audit pairs these
sentences with references, and the web app's evidence explorer lists the same sentences, so a verdict
finds its sentence by id ("paper@<start>#<ref>"), never by guessing from overlapping spans.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass

from ..core.text import CITATION, CITATION_WITH_SPACE, citation_numbers, sentence_spans, strip_markdown
from ..corpus import VALID_REFS, Block, line_of, markdown_blocks


def pair_id(sentence_start: int, ref: int) -> str:
    """The id of a (citing sentence, reference) pair: where the sentence starts in paper.md, and the reference."""
    return f"paper@{sentence_start}#{ref}"


@dataclass(frozen=True)
class CitingSentence:
    """A sentence of paper.md's body and the references its markers cite (none for most sentences)."""

    text: str  # exactly paper_text[start:end], markers included
    start: int
    end: int
    line: int
    section: str  # "2", "Abstract", ...
    section_title: str
    refs: tuple[int, ...]  # the references its markers cite, in first-seen order

    def pair_id(self, ref: int) -> str:
        return pair_id(self.start, ref)


@dataclass(frozen=True)
class CitationPair:
    """One reference cited by one sentence, with the part of the sentence attributed to it."""

    sentence: CitingSentence
    ref: int
    kind: str  # "sentence" (marker ends the sentence), "clause" (marker ends a clause), "term" (marker on a phrase)
    attributed: str  # the text the citation vouches for: the sentence, the clause, or the cited term
    marker_start: int  # offset of the marker in paper.md

    @property
    def id(self) -> str:
        return self.sentence.pair_id(self.ref)


def quotation_left_open(text: str) -> bool:
    """True when text leaves a quotation open (curly quotes counted, straight ones by parity)."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def merge_spans_inside_quotes(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join sentence spans that split a quotation: the splitter cuts "… a solution. . . in a
    different situation, … valuable.”[11]" inside the quote, which would part the quote from its
    citation."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and quotation_left_open(text[merged[-1][0] : merged[-1][1]]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def block_sentence_spans(paper_text: str, block: Block) -> list[tuple[int, int]]:
    """(start, end) in paper.md of each sentence of one block, quotations kept whole."""
    return merge_spans_inside_quotes(paper_text, sentence_spans(paper_text[block.start : block.end], block.start))


def paper_sentences(
    paper_text: str, blocks: Sequence[Block] | None = None, valid: Container[int] = VALID_REFS
) -> list[CitingSentence]:
    """Every sentence of the paper's body (the reference list and Table 1 excluded), quotations kept
    whole, each with the references in `valid` that its markers cite. `blocks`: markdown_blocks of
    paper_text, when the caller has them already."""
    out: list[CitingSentence] = []
    for block in markdown_blocks(paper_text) if blocks is None else blocks:
        if block.section == "References" or block.kind == "table-row":
            continue
        for start, end in block_sentence_spans(paper_text, block):
            sentence = paper_text[start:end]
            cites = tuple(n for n in _marker_numbers_in(sentence) if n in valid)
            out.append(
                CitingSentence(
                    sentence,
                    start,
                    end,
                    line_of(paper_text, start),
                    block.section,
                    block.section_title,
                    tuple(dict.fromkeys(cites)),
                )
            )
    return out


def citing_sentences(
    paper_text: str, blocks: Sequence[Block] | None = None, valid: Container[int] = VALID_REFS
) -> list[CitingSentence]:
    """The sentences of the paper's body that cite at least one reference in `valid`."""
    return [s for s in paper_sentences(paper_text, blocks, valid) if s.refs]


def _marker_numbers_in(text: str) -> list[int]:
    return [n for m in CITATION.finditer(text) for n in citation_numbers(m.group(1))]


# What may follow a marker that ends its sentence: closing punctuation and quotes, and more markers.
_CLOSERS = r"[\s.,;:!?)\]*”\"’]*"
_TRAILING_ONLY = re.compile(_CLOSERS + "(?:" + CITATION.pattern + _CLOSERS + ")*")
_BOUNDARY_CHARS = ",;:(–—"
# Words that start a cited term's phrase from the left: determiners, conjunctions, modal and framing
# verbs ("must understand parallelism [9, 10]" cites [9, 10] for "parallelism"). Not a stop-word list:
# most stop words ("of", "for", "with") sit inside a term, and verbs like "understand" are not stop words.
_TERM_BREAKERS = frozenset(
    """and or the a an same can must may might should involve involves understand understanding researching using use
like as such this these those their its our e.g i.e eg ie via""".split()
)
_TERM_MAX_WORDS = 5
_TERM_LIST_MAX_WORDS = 5  # a list item ("episodic and long-horizon memory [26, 27],") is short


def mask_quotations(text: str) -> str:
    """Replace the inside of quotations with 'x' (same length) so their commas are not boundaries."""

    def blank(m: re.Match) -> str:
        return m.group(0)[0] + "x" * (len(m.group(0)) - 2) + m.group(0)[-1]

    return re.sub(r"“[^“”]*”|\"[^\"]*\"", blank, text)


def classify_marker(sentence: str, marker_start: int, marker_end: int) -> tuple[str, str]:
    """(kind, attributed text) for the citation marker at sentence[marker_start:marker_end].

    A marker at the end of the sentence vouches for the sentence; one right after a quotation, or
    ending a long clause, vouches for the sentence up to it; one on a phrase in mid-sentence
    ("efficiency (distillation[16], quantization [13–15])") vouches only for that term.
    """
    after = sentence[marker_end:]
    if _TRAILING_ONLY.fullmatch(after):
        return "sentence", sentence
    before = sentence[:marker_start].rstrip()
    masked = mask_quotations(before)
    if before.endswith(("”", '"', "”,", ",”", '",', ',"')):
        return "clause", before
    open_paren = masked.count("(") > masked.count(")")
    next_char = after.lstrip()[:1]
    segment = _segment_since_boundary(masked, before)
    if (
        not open_paren
        and next_char in {",", ";", "–", "—", ""}
        and (len(segment.split()) > _TERM_LIST_MAX_WORDS or re.search(r"[“”\"]", segment))
    ):
        return "clause", before
    return "term", cited_term(before, after)


def _segment_since_boundary(masked: str, before: str) -> str:
    cut = max([masked.rfind(c) for c in _BOUNDARY_CHARS] + [_last_marker_end(masked)])
    return before[cut + 1 :] if cut >= 0 else before


def _last_marker_end(text: str) -> int:
    ends = [m.end() - 1 for m in CITATION.finditer(text)]
    return ends[-1] if ends else -1


def cited_term(before: str, after: str) -> str:
    """The phrase a mid-sentence marker is attached to: the words just before it back to a boundary
    or a breaker word, plus a parenthesised gloss right after it ("parallelism [9, 10](data and
    model parallel training)"). In "prompt/RAG [32]" the cited alternative is the one by the marker."""
    masked = mask_quotations(before)
    words = strip_markdown(_segment_since_boundary(masked, before)).split()
    phrase: list[str] = []
    for word in reversed(words):
        bare = word.strip("*_“”\"'’()").lower().rstrip(".")
        if bare in _TERM_BREAKERS or len(phrase) >= _TERM_MAX_WORDS:
            break
        if "/" in word and not phrase:  # "prompt/RAG [32]": the marker cites the alternative beside it
            phrase.insert(0, word.rsplit("/", 1)[1].strip("*_()"))
            break
        phrase.insert(0, word.strip("*_()"))
    term = " ".join(phrase)
    gloss = re.match(r"\s*\(([^()]{3,80})\)", after)
    return f"{term} ({gloss.group(1)})" if gloss and term else term


_KIND_RANK = {"sentence": 0, "clause": 1, "term": 2}


def citation_pairs(sentence: CitingSentence) -> list[CitationPair]:
    """One pair per reference the sentence cites. A reference cited twice in a sentence keeps its
    broadest attribution ("As Matsukawa [11] noted … domains[11]." vouches for the sentence)."""
    best: dict[int, CitationPair] = {}
    for marker in CITATION.finditer(sentence.text):
        kind, attributed = classify_marker(sentence.text, marker.start(), marker.end())
        for n in citation_numbers(marker.group(1)):
            if n not in VALID_REFS:
                continue
            pair = CitationPair(sentence, n, kind, attributed, sentence.start + marker.start())
            if n not in best or _KIND_RANK[kind] < _KIND_RANK[best[n].kind]:
                best[n] = pair
    return [best[n] for n in sentence.refs if n in best]


def claim_text(text: str) -> str:
    """A sentence as a claim: citation markers, markdown and bullet lead-ins removed."""
    # a marker glued to the next word ("parallelism [9, 10](data …") leaves a space behind
    text = CITATION_WITH_SPACE.sub(lambda m: " " if re.match(r"[\w(]", text[m.end() : m.end() + 1]) else "", text)
    text = re.sub(r"^\s*\*\*[^*]+\*\*\s*", "", text)  # "**OpenAI:** OpenAI hires …" → "OpenAI hires …"
    return re.sub(r"\s+", " ", strip_markdown(text)).strip()


def attributed_claim(pair: CitationPair) -> str:
    """What a pair is scored on: the attributed sentence or clause as a claim, or the cited term as is."""
    return claim_text(pair.attributed) if pair.kind != "term" else pair.attributed


def claim_clauses(text: str, min_words: int = 5) -> list[str]:
    """The clauses of a sentence (split at , ; : and dashes outside quotations and parentheses), short
    pieces joined to their neighbour. Lets the audit say which part of a sentence a source supports."""
    masked = mask_quotations(text)
    cuts, depth = [], 0
    for i, ch in enumerate(masked):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in ",;:–—" and depth == 0:
            cuts.append(i)
    pieces, last = [], 0
    for cut in cuts + [len(text)]:
        piece = text[last:cut].strip(" ,;:–—")
        last = cut + 1
        if piece:
            pieces.append(piece)
    clauses: list[str] = []
    for piece in pieces:
        if clauses and (len(piece.split()) < min_words or len(clauses[-1].split()) < min_words):
            clauses[-1] = f"{clauses[-1]}, {piece}"
        else:
            clauses.append(piece)
    return clauses if len(clauses) > 1 else []
