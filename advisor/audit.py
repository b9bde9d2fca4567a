"""Citation audit: does each source the paper cites say what the paper attributes to it?

Every sentence of corpus/paper.md that carries a citation marker is paired with each reference it
cites ([13–15] gives three pairs). For each pair the audit reads the source text we hold and gives a
verdict with its evidence and a one-line reason:

- "supported": the source text supports what the sentence attributes to it;
- "partial": the topic matches but a detail (a name, a number, the exact wording of a quotation, a
  word of a cited term) is not in the source;
- "not-supported": the source text we hold does not contain what the sentence attributes to it
  (for example a quotation that is nowhere in it);
- "no-source-text": we hold only the reference entry (or the source file is empty or missing).

Quotations are looked up word by word (difflib) in the verbatim parts of the source (abstracts and
verbatim excerpts, never the curator's paraphrased key facts), and the differences are shown:
inserted, dropped and changed words, text hidden by an ellipsis, bracketed edits. The audit also
lists quotations that carry no citation (with the best candidate source) and compares each reference
entry of the paper with references.json and the source file's header.

Support scoring is ground.score_support, shared with the answer pipeline. The audit is deterministic
for a given corpus, model and settings; results are cached per corpus fingerprint.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from .corpus import (PAPER_FILE, REFERENCES_FILE, VALID_REFS, CorpusError, Reference, line_of, load_references,
                     markdown_blocks, parse_paper, parse_source, read_text)
from .ground import Support, content_words, score_support, stem
from .settings import Settings, get_settings
from .text import CITATION, citation_numbers, sentence_spans, strip_markdown
from .types import Passage

AUDIT_VERSION = 2  # bump when the audit's logic changes, so cached results are recomputed
VERDICTS = ("supported", "partial", "not-supported", "no-source-text")
VERBATIM_KINDS = ("abstract", "excerpt")  # the source's own words; "fact" passages are paraphrases
BODY_KINDS = ("abstract", "excerpt", "fact")


class AuditError(ValueError):
    """The audit cannot run as asked (e.g. a reference number the paper does not have)."""


# ==================================================================== citing sentences and pairs


@dataclass(frozen=True)
class CitingSentence:
    """A sentence of paper.md's body and the references its markers cite (none for most sentences)."""

    text: str  # exactly paper_text[start:end]
    start: int
    end: int
    line: int
    section: str  # "2", "Abstract", ...
    section_title: str
    citations: tuple[int, ...]


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
        return f"paper@{self.sentence.start}#{self.ref}"


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


def paper_sentences(paper_text: str) -> list[CitingSentence]:
    """Every sentence of the paper's body (the reference list excluded), quotations kept whole."""
    out: list[CitingSentence] = []
    for block in markdown_blocks(paper_text):
        if block.section == "References" or block.kind == "table-row":
            continue
        spans = merge_spans_inside_quotes(paper_text, sentence_spans(paper_text[block.start : block.end], block.start))
        for start, end in spans:
            sentence = paper_text[start:end]
            cites = tuple(n for n in _marker_numbers_in(sentence) if n in VALID_REFS)
            out.append(CitingSentence(sentence, start, end, line_of(paper_text, start), block.section,
                                      block.section_title, tuple(dict.fromkeys(cites))))
    return out


def citing_sentences(paper_text: str) -> list[CitingSentence]:
    return [s for s in paper_sentences(paper_text) if s.citations]


def _marker_numbers_in(text: str) -> list[int]:
    return [n for m in CITATION.finditer(text) for n in citation_numbers(m.group(1))]


_TRAILING_ONLY = re.compile(r"[\s.,;:!?)\]*”\"’]*(?:(?:<sup>)?\[\d[\d,\s–-]*\](?:</sup>)?[\s.,;:!?)\]*”\"’]*)*")
_BOUNDARY_CHARS = ",;:(–—"
# Words that start a cited term's phrase from the left: determiners, conjunctions, modal and
# framing verbs ("must understand parallelism [9, 10]" cites [9, 10] for "parallelism").
_TERM_BREAKERS = frozenset("""and or the a an same can must may might should involve involves understand
understanding researching using use like as such this these those their its our e.g i.e eg ie via""".split())
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
    if not open_paren and next_char in {",", ";", "–", "—", ""} and (
            len(segment.split()) > _TERM_LIST_MAX_WORDS or re.search(r"[“”\"]", segment)):
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
    return [best[n] for n in sentence.citations if n in best]


# ==================================================================== quotations


@dataclass(frozen=True)
class Quotation:
    """A span the paper puts in quotation marks, and the references it is attributed to."""

    text: str  # inside the quotation marks
    start: int  # offsets of the inside in paper.md
    end: int
    sentence_start: int
    refs: tuple[int, ...]  # () when no citation marker in the sentence vouches for it

    @property
    def words(self) -> int:
        return len(re.findall(r"\w+", self.text))


_QUOTATION = re.compile(r"“([^“”]+)”|\"([^\"\n]+)\"")


def find_quotations(sentence: CitingSentence) -> list[Quotation]:
    """Quotations in a sentence, each attributed to the first citation marker after it (or the last
    one before it when none follows)."""
    markers = list(CITATION.finditer(sentence.text))
    out = []
    for match in _QUOTATION.finditer(sentence.text):
        group = 1 if match.group(1) is not None else 2
        after = [m for m in markers if m.start() >= match.end()]
        before = [m for m in markers if m.end() <= match.start()]
        marker = after[0] if after else (before[-1] if before else None)
        refs = tuple(n for n in citation_numbers(marker.group(1)) if n in VALID_REFS) if marker else ()
        out.append(Quotation(match.group(group), sentence.start + match.start(group), sentence.start + match.end(group),
                             sentence.start, refs))
    return out


# ==================================================================== word-level quote lookup and diff


@dataclass(frozen=True)
class Token:
    text: str
    norm: str  # lower-case letters and digits only: "e.g." and "eg." both become "eg"
    start: int
    end: int
    kind: str = "word"  # word | bracket (an editorial "[and]") | ellipsis
    base: str = ""  # for "design[ing]": the norm without the bracketed part ("design")

    @property
    def key(self) -> str:
        """What aligns: the stem, so "reasoning" lines up with "reason" (the diff still shows it)."""
        return _stem_cached(self.norm) if self.kind != "ellipsis" else ""


_TOKEN = re.compile(
    r"(?P<ellipsis>\.(?:\s?\.){2}|…)"
    r"|(?P<bracket>\[[^\[\]\d][^\[\]]{0,40}\])"
    r"|(?P<word>\w+(?:[.'’\-/+&]\w+)*(?:\[[^\[\]]{1,12}\]\w*)*)"
)


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


@lru_cache(maxsize=20000)
def _stem_cached(norm: str) -> str:
    return stem(norm) if norm.isalpha() else norm


def tokenize(text: str, offset: int = 0, editorial: bool = True) -> list[Token]:
    """Word tokens with offsets. editorial=True (a quotation) keeps ellipses and bracketed edits as
    such; for a source text, brackets are footnote marks ("papers[^7]") and are dropped."""
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text):
        s, e = m.start() + offset, m.end() + offset
        if m.group("ellipsis"):
            if editorial:
                tokens.append(Token(m.group(0), "", s, e, "ellipsis"))
        elif m.group("bracket"):
            if editorial:
                tokens.append(Token(m.group(0), _norm(m.group(0)), s, e, "bracket"))
        else:
            word = m.group(0)
            if "[" in word:
                bare = re.sub(r"\[[^\]]*\]", "", word)
                if editorial:
                    tokens.append(Token(word, _norm(re.sub(r"[\[\]]", "", word)), s, e, "word", _norm(bare)))
                else:
                    tokens.append(Token(bare, _norm(bare), s, e))
            else:
                tokens.append(Token(word, _norm(word), s, e))
    return merge_phrases([t for t in tokens if t.norm or t.kind == "ellipsis"])


# Phrases that mean the same as a shorter form; merged into one token so "for example" lines up
# with "e.g." (the diff still shows the change, as a minor one).
_SAME_MEANING = {("for", "example"): "eg", ("for", "instance"): "eg", ("e", "g"): "eg", ("i", "e"): "ie"}


def merge_phrases(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        pair = (tokens[i].norm, tokens[i + 1].norm) if i + 1 < len(tokens) else None
        if pair in _SAME_MEANING and tokens[i].kind == tokens[i + 1].kind == "word":
            a, b = tokens[i], tokens[i + 1]
            out.append(Token(f"{a.text} {b.text}", _SAME_MEANING[pair], a.start, b.end))
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return out


@dataclass(frozen=True)
class DiffOp:
    """One step of a quotation-vs-source diff. op: equal | inserted (words the paper adds) |
    dropped (source words the paper leaves out, no ellipsis) | changed | bracketed (an edit marked
    with brackets) | ellipsis (source text the paper's ellipsis hides)."""

    op: str
    paper: str = ""
    source: str = ""
    minor: bool = False  # meaning-preserving: an abbreviation, "e.g." for "for example", a bracketed gloss
    note: str = ""

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in ("", False) or k == "op"}


@dataclass(frozen=True)
class QuoteCheck:
    """Where a quotation is in a source and how its words differ.

    status: verbatim (same words; ellipses may hide text) | minor-edits (only meaning-preserving
    differences) | differs | not-found | no-source-text."""

    quote: str
    ref: int | None
    status: str
    ratio: float  # share of the quotation's words found, in order, in the source
    passage_id: str | None = None
    file: str | None = None
    start: int | None = None  # matched span in the source file
    end: int | None = None
    source_text: str = ""
    ops: tuple[DiffOp, ...] = ()
    paper_start: int | None = None
    reason: str = ""

    def diff_text(self) -> str:
        return render_diff(self.ops)

    def to_dict(self) -> dict:
        data = {"quote": self.quote, "ref": self.ref, "status": self.status, "ratio": round(self.ratio, 3),
                "passage_id": self.passage_id, "file": self.file, "start": self.start, "end": self.end,
                "source_text": self.source_text, "diff": self.diff_text(),
                "changes": [op.to_dict() for op in self.ops if op.op != "equal"], "reason": self.reason}
        if self.paper_start is not None:
            data["paper_start"] = self.paper_start
        return data


def render_diff(ops: Sequence[DiffOp]) -> str:
    """One line: equal words plain, {-source-} dropped, {+paper+} inserted, {source → paper} changed,
    [… hides: …] for an ellipsis."""
    parts = []
    for op in ops:
        if op.op == "equal":
            parts.append(op.paper)
        elif op.op == "inserted":
            parts.append(f"{{+{op.paper}+}}")
        elif op.op == "dropped":
            parts.append(f"{{-{op.source}-}}")
        elif op.op in ("changed", "bracketed"):
            parts.append(f"{{{op.source or '∅'} → {op.paper}}}")
        elif op.op == "ellipsis":
            parts.append(f"[… hides: “{op.source}”]" if op.source else f"[… {op.note}]")
    return " ".join(parts)


@dataclass(frozen=True)
class SourceWords:
    """The verbatim words of one source, tokenised across its abstract and excerpt passages."""

    ref: int
    file: str
    text: str  # the whole file
    tokens: tuple[Token, ...]
    passage_of: tuple[str, ...]  # passage id of each token


def source_words(ref: int, file: str, file_text: str, passages: Sequence[Passage],
                 kinds: tuple[str, ...] = VERBATIM_KINDS) -> SourceWords:
    tokens: list[Token] = []
    owners: list[str] = []
    for p in passages:
        if p.kind not in kinds:
            continue
        body = p.text
        lead = re.match(r"^\s*\d+\.\s+", body)  # the list number of an excerpt is not the source's
        skip = lead.end() if lead else 0
        for t in tokenize(body[skip:], p.start + skip, editorial=False):
            tokens.append(t)
            owners.append(p.id)
    return SourceWords(ref, file, file_text, tuple(tokens), tuple(owners))


_SYNONYMS = [({"eg", "forexample", "forinstance"}), ({"ie", "thatis"})]


def _is_abbreviation(short: Sequence[str], long: Sequence[str]) -> bool:
    """'ML' for 'machine learning', 'SWE' for 'software engineering': one upper-case token whose
    letters come from the other side's words in order, each word starting with its first letter."""
    words = [_norm(w) for w in long if _norm(w)]
    if len(short) != 1 or len(words) < 2 or not short[0].isupper() and not short[0].islower():
        return False
    return _acronym_of(_norm(short[0]), words)


def _acronym_of(acronym: str, words: Sequence[str]) -> bool:
    if not words:
        return not acronym
    if not acronym:
        return False
    head = words[0]
    if acronym[0] != head[0]:
        return False
    # each word gives its first letter and maybe a few more, in order ("SWE": SoftWare Engineering)
    return any(_is_subsequence(acronym[1:k], head[1:]) and _acronym_of(acronym[k:], words[1:])
               for k in range(1, len(acronym) + 1))


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def _is_synonym(a: Sequence[str], b: Sequence[str]) -> bool:
    ja, jb = "".join(a), "".join(b)
    return any(ja in group and jb in group for group in _SYNONYMS)


def classify_replace(paper: Sequence[Token], source: Sequence[Token]) -> DiffOp:
    paper_text = " ".join(t.text for t in paper)
    source_text = " ".join(t.text for t in source)
    p_norm = [t.norm for t in paper]
    s_norm = [t.norm for t in source]
    if any(t.kind == "bracket" or t.base for t in paper):
        bases = [t.base or t.norm for t in paper if t.kind != "bracket"]
        form = any(b and s.startswith(b[:4]) for b in bases for s in s_norm if len(b) >= 3)
        note = "changes tense or number" if form or _shares_stem(paper, source) else \
            "replaces the source's words"
        return DiffOp("bracketed", paper_text, source_text, False, note)
    if _is_abbreviation([t.text for t in paper], [t.text for t in source]) or \
            _is_abbreviation([t.text for t in source], [t.text for t in paper]):
        return DiffOp("changed", paper_text, source_text, True, "abbreviation")
    if _is_synonym(p_norm, s_norm):
        return DiffOp("changed", paper_text, source_text, True, "same meaning")
    if len(p_norm) == len(s_norm) and all(_singular(a) == _singular(b) for a, b in zip(p_norm, s_norm)):
        return DiffOp("changed", paper_text, source_text, True, "singular/plural")
    return DiffOp("changed", paper_text, source_text)


def _singular(norm: str) -> str:
    return re.sub(r"e?s$", "", norm)


def _shares_stem(paper: Sequence[Token], source: Sequence[Token]) -> bool:
    stems_p = {_stem(re.sub(r"\[[^\]]*\]", "", t.text)) for t in paper}
    stems_s = {_stem(t.text) for t in source}
    return bool({s for s in stems_p if len(s) >= 3} & stems_s)


def word_diff(paper: Sequence[Token], source: Sequence[Token]) -> list[DiffOp]:
    """Word-level diff of a quotation (segment) against the aligned source words (difflib)."""
    matcher = difflib.SequenceMatcher(None, [t.key for t in paper], [t.key for t in source], autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        p, s = paper[i1:i2], source[j1:j2]
        if tag == "equal":
            ops.extend(_equal_ops(p, s))
        elif tag == "delete":  # in the quotation, not in the source
            text = " ".join(t.text for t in p)
            if all(t.kind == "ellipsis" for t in p):
                ops.append(DiffOp("ellipsis", "…", "", True, "hides nothing"))
            elif all(t.kind == "bracket" for t in p):
                ops.append(DiffOp("bracketed", text, "", True, "bracketed insertion"))
            else:
                ops.append(DiffOp("inserted", text))
        elif tag == "insert":  # in the source, left out of the quotation without an ellipsis
            ops.append(_dropped(s, paper[i1 - 1] if i1 > 0 else None, paper[i1] if i1 < len(paper) else None))
        else:
            ops.append(classify_replace(p, s))
    return merge_bracketed(ops)


def merge_bracketed(ops: list[DiffOp]) -> list[DiffOp]:
    """Fold source words dropped right before a bracketed substitution into it: "to play" →
    "[plays]" is one edit, not an omission plus an edit."""
    out: list[DiffOp] = []
    for op in ops:
        if op.op == "bracketed" and not op.minor and out and out[-1].op == "dropped" and not out[-1].minor:
            dropped = out.pop()
            op = DiffOp("bracketed", op.paper, f"{dropped.source} {op.source}".strip(), False, op.note)
        out.append(op)
    return out


def _equal_ops(paper: Sequence[Token], source: Sequence[Token]) -> list[DiffOp]:
    """Runs that align by stem, split where the words differ in form: "e.g." for "for example" and
    "systems" for "system" keep the meaning; "reasoning" for "reason" or "[plays]" for "play" change
    the quotation."""
    ops: list[DiffOp] = []
    run_p: list[str] = []
    run_s: list[str] = []
    for p, s in zip(paper, source):
        if _norm(p.text) == _norm(s.text) and p.kind == "word" and not p.base:
            run_p.append(p.text)
            run_s.append(s.text)
            continue
        if run_p:
            ops.append(DiffOp("equal", " ".join(run_p), " ".join(run_s)))
            run_p, run_s = [], []
        ops.append(_form_change(p, s))
    if run_p:
        ops.append(DiffOp("equal", " ".join(run_p), " ".join(run_s)))
    return ops


def _form_change(paper: Token, source: Token) -> DiffOp:
    if paper.kind == "bracket" or paper.base:
        if _norm(re.sub(r"[\[\]]", "", paper.text)) == _norm(source.text):
            return DiffOp("bracketed", paper.text, source.text, True, "brackets mark the source's own word")
        return DiffOp("bracketed", paper.text, source.text, False, "changes tense or number")
    if paper.norm == source.norm:  # a merged phrase: "e.g." for "for example"
        return DiffOp("changed", paper.text, source.text, True, "same meaning")
    if _singular(_norm(paper.text)) == _singular(_norm(source.text)):
        return DiffOp("changed", paper.text, source.text, True, "singular/plural")
    return DiffOp("changed", paper.text, source.text, False, "word form")


def _dropped(source: Sequence[Token], prev: Token | None, nxt: Token | None) -> DiffOp:
    """Source words the quotation leaves out. Dropping the expansion of an acronym the quotation
    keeps ("software engineering (SWE)" quoted as "SWE") does not change the meaning."""
    text = " ".join(t.text for t in source)
    neighbours = [t.text for t in (prev, nxt) if t is not None]
    if any(_is_abbreviation([n], [t.text for t in source]) for n in neighbours):
        return DiffOp("dropped", "", text, True, "expansion of an abbreviation the quotation keeps")
    return DiffOp("dropped", "", text)


@dataclass(frozen=True)
class SegmentMatch:
    start: int  # token index range in the source words
    end: int
    matched: int  # quotation words aligned with source words
    ops: tuple[DiffOp, ...]


def locate_segment(segment: Sequence[Token], words: SourceWords, lo: int = 0) -> SegmentMatch | None:
    """Best fuzzy position of a run of quotation words among the source words (from token lo).

    Anchor on the longest common run of words, widen a window around it by half the segment's
    length each side, diff within the window and trim source words outside the quotation."""
    src = [t.key for t in words.tokens]
    seg = [t.key for t in segment]
    if not seg or lo >= len(src):
        return None
    anchor = difflib.SequenceMatcher(None, seg, src, autojunk=False).find_longest_match(0, len(seg), lo, len(src))
    if anchor.size == 0:
        return None
    slack = max(3, len(seg) // 2)
    w_start = max(lo, anchor.b - anchor.a - slack)
    w_end = min(len(src), anchor.b + (len(seg) - anchor.a) + slack)
    blocks = [b for b in difflib.SequenceMatcher(None, seg, src[w_start:w_end], autojunk=False).get_matching_blocks()
              if b.size]
    # Unmatched words at either end of the quotation stand against as many source words there, so
    # "solid engineering" vs "good engineering" shows as a changed word, not an insertion.
    first = max(w_start, w_start + blocks[0].b - blocks[0].a)
    tail = len(seg) - (blocks[-1].a + blocks[-1].size)
    last = min(w_end, w_start + blocks[-1].b + blocks[-1].size + tail)
    ops = word_diff(segment, words.tokens[first:last])
    return SegmentMatch(first, last, sum(b.size for b in blocks), tuple(ops))


def best_segment_match(segment: Sequence[Token], words: SourceWords, lo: int) -> SegmentMatch | None:
    """The segment's match after the previous segment, or anywhere when that is better (a quotation
    may reorder its source)."""
    in_order = locate_segment(segment, words, lo) if lo else None
    anywhere = locate_segment(segment, words, 0)
    hits = [h for h in (in_order, anywhere) if h is not None]
    if not hits:
        return None
    return max(hits, key=lambda h: (h.matched, h is in_order))


def split_at_ellipses(tokens: Sequence[Token]) -> list[list[Token]]:
    """Runs of quotation words between ellipses (an empty run where an ellipsis opens or ends it)."""
    segments: list[list[Token]] = [[]]
    for t in tokens:
        if t.kind == "ellipsis":
            segments.append([])
        else:
            segments[-1].append(t)
    return segments


MAX_ELLIPSIS_WORDS = 40  # an ellipsis that hides more than this joins separate statements


def ellipsis_op(previous: SegmentMatch | None, current: SegmentMatch | None, words: SourceWords) -> DiffOp:
    """What an ellipsis stands for: the source words between the segments it joins."""
    if previous is None or current is None:
        return DiffOp("ellipsis", "…", "", True, "marks an omission")
    if current.start < previous.end:
        return DiffOp("ellipsis", "…", "", False, "reorders the source: the next words come earlier in it")
    if current.start == previous.end:
        return DiffOp("ellipsis", "…", "", True, "hides nothing")
    hidden = words.text[words.tokens[previous.end].start : words.tokens[current.start - 1].end]
    gap = current.start - previous.end
    if words.passage_of[previous.end - 1] != words.passage_of[current.start] and gap > MAX_ELLIPSIS_WORDS // 2 \
            or gap > MAX_ELLIPSIS_WORDS:
        return DiffOp("ellipsis", "…", hidden, False, f"joins text {gap} words apart")
    return DiffOp("ellipsis", "…", hidden, True)


def lookup_quote(quote: str, words: SourceWords, found_ratio: float, ref: int | None = None) -> QuoteCheck:
    """Find a quotation in one source's verbatim words and diff it word by word.

    Runs of words between ellipses are located in order; the source words between two located runs
    are what the ellipsis hides. A quotation whose words do not line up with the source (share of
    aligned words < found_ratio) is not found."""
    tokens = tokenize(quote)
    n_words = max(1, sum(1 for t in tokens if t.kind != "ellipsis"))
    if not words.tokens:
        return QuoteCheck(quote, ref, "not-found", 0.0, reason="the source holds no verbatim text")
    ops: list[DiffOp] = []
    located: list[SegmentMatch] = []
    nearest: SegmentMatch | None = None  # the best partial match, shown when the quotation is not found
    previous: SegmentMatch | None = None
    for i, segment in enumerate(split_at_ellipses(tokens)):
        hit = best_segment_match(segment, words, previous.end if previous else 0) if segment else None
        if hit is not None and (nearest is None or hit.matched > nearest.matched):
            nearest = hit
        if hit is not None and hit.matched / len(segment) < found_ratio:
            hit = None  # a few shared common words are not a quotation found
        if i > 0:
            ops.append(ellipsis_op(previous, hit, words))
        if segment and hit is None:
            ops.append(DiffOp("inserted", " ".join(t.text for t in segment)))
        if hit is not None:
            ops.extend(hit.ops)
            located.append(hit)
            previous = hit
    if any(op.note.startswith("reorders") for op in ops):
        # The runs between ellipses come in another order in the source ("research engineers... both
        # come up with ideas" for "Both research scientists and engineers come up with ideas"): one
        # alignment of the whole quotation shows the moved words more plainly.
        whole = locate_segment(tokens, words, 0)
        if whole is not None and whole.matched / n_words >= found_ratio:
            ops, located = list(whole.ops), [whole]
    ratio = sum(h.matched for h in located) / n_words
    if not located or ratio < found_ratio:
        closest = ""
        if nearest is not None:
            ratio = max(ratio, nearest.matched / n_words)
            closest = words.text[words.tokens[nearest.start].start : words.tokens[nearest.end - 1].end]
        return QuoteCheck(quote, ref, "not-found", ratio, words.passage_of[nearest.start] if nearest else None,
                          words.file, source_text=closest,
                          reason=f"not in the source: at most {ratio:.0%} of its words line up with its text")
    first = min(h.start for h in located)
    last = max(h.end for h in located) - 1
    start, end = words.tokens[first].start, words.tokens[last].end
    edits = [op for op in ops if op.op != "equal" and not (op.op == "ellipsis" and op.minor)]
    substantive = [op for op in edits if not op.minor]
    status = "differs" if substantive else "minor-edits" if edits else "verbatim"
    return QuoteCheck(quote, ref, status, ratio, words.passage_of[first], words.file, start, end,
                      words.text[start:end], tuple(ops), reason=quote_reason(status, ops))


def quote_reason(status: str, ops: Sequence[DiffOp]) -> str:
    if status == "verbatim":
        hidden = [op for op in ops if op.op == "ellipsis" and op.source]
        return "verbatim" + (f"; an ellipsis hides {sum(len(op.source.split()) for op in hidden)} words" if hidden
                             else "")
    changes = [op for op in ops if op.op != "equal" and not (op.op == "ellipsis" and op.minor)]
    counts: dict[str, int] = {}
    for op in changes:
        label = {"bracketed": "bracketed edit", "ellipsis": "reordering ellipsis", "inserted": "insertion",
                 "dropped": "omission", "changed": "changed word"}[op.op]
        counts[label] = counts.get(label, 0) + 1
    summary = ", ".join(f"{n} {label}{'s' if n > 1 else ''}" for label, n in counts.items())
    return ("same words apart from minor edits: " if status == "minor-edits" else "wording differs: ") + summary


def best_quote_match(quote: str, candidates: Iterable[SourceWords], found_ratio: float) -> QuoteCheck | None:
    """The source whose verbatim text best contains the quotation (for quotations without a citation)."""
    best: QuoteCheck | None = None
    for words in candidates:
        check = lookup_quote(quote, words, found_ratio, words.ref)
        if check.status != "not-found" and (best is None or check.ratio > best.ratio):
            best = check
    return best


def _stem(word: str) -> str:
    return stem(_norm(word))


# ==================================================================== reference metadata


@dataclass(frozen=True)
class SourceHeader:
    title: str
    authors: tuple[str, ...]
    year_line: str
    years: tuple[int, ...]
    url: str


def parse_source_header(text: str) -> SourceHeader:
    """Title, authors, dates and URL from a source file's header ("# Title", "- Key: value" lines)."""
    lines = text.split("\n")
    title = lines[0][2:].strip() if lines and lines[0].startswith("# ") else ""
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if line.startswith("## "):
            break
        m = re.match(r"^-\s+([^:]+):\s*(.*)$", line)
        if m:
            fields[m.group(1).strip().lower()] = m.group(2).strip()
    author_field = fields.get("authors") or fields.get("author") or fields.get("author / publisher") or ""
    author_field = re.sub(r"\s*\(.*$", "", author_field)  # "(described on the page as …)"
    if re.search(r"\b[A-Z][\w'’-]+, (?:[A-Z]\.)+", author_field):
        authors = tuple(f"{m.group(2)} {m.group(1)}" for m in re.finditer(r"([^,]+?), ((?:[A-Z]\.\s?)+)", author_field))
    else:
        authors = tuple(a.strip() for a in author_field.split(",") if a.strip())
    year_line = fields.get("year") or fields.get("date") or ""
    years = tuple(dict.fromkeys(int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", year_line)))
    url = re.split(r"\s", fields.get("url", ""), 1)[0]
    return SourceHeader(title, tuple(a for a in authors if a and a.lower() != "et al."), year_line, years, url)


@dataclass(frozen=True)
class PaperEntry:
    ref: int
    text: str
    authors: tuple[str, ...]  # surnames, or the organisation
    year: int | None
    url: str


def parse_paper_references(paper_text: str) -> dict[int, PaperEntry]:
    """The paper's own reference list ("- [n] Authors: Title. Venue (year)")."""
    entries: dict[int, PaperEntry] = {}
    section = paper_text.split("\n## References", 1)
    if len(section) < 2:
        return entries
    for m in re.finditer(r"^- \[(\d+)\]\s+(.*)$", section[1], re.M):
        n, text = int(m.group(1)), m.group(2).strip()
        author_part = text.split(": ", 1)[0]
        surnames = [s.strip() for s, _ in re.findall(r"([^,]+?), ((?:[A-Z][a-zà-ÿ]?\.\s?-?)+)", author_part)]
        authors = tuple(surnames) if surnames else (author_part.strip(),)
        year = re.search(r"\((\d{4})\)", text)
        url = re.search(r"<(https?://[^>]+)>", text)
        entries[n] = PaperEntry(n, text, authors, int(year.group(1)) if year else None, url.group(1) if url else "")
    return entries


@dataclass(frozen=True)
class MetadataCheck:
    ref: int
    field: str  # authors | year | title | url | entry
    status: str  # ok | mismatch | note
    paper: str
    references_json: str
    source: str
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _surname(name: str) -> str:
    name = re.sub(r"\s*\(.*\)$", "", name).strip()
    return name.split()[-1] if name.split() else name


def compare_authors(paper: Sequence[str], other: Sequence[str]) -> list[str]:
    """Differences between the paper's author surnames and another author list, in order. An
    organisation matches its own name ("Amazon.com" ~ "Amazon")."""
    problems = []
    others = [_surname(a) for a in other if a.lower() not in ("et al.", "et al")]
    joined = _norm(" ".join(other))
    if len(paper) == 1 and " " not in paper[0].strip() and (_norm(paper[0]) in joined or joined in _norm(paper[0])):
        return []
    for i, name in enumerate(paper):
        if name.strip("* ").lower() in ("et al.", "et al"):
            break
        if i >= len(others):
            problems.append(f"'{name}' is not in the list ({len(others)} authors)")
            continue
        a, b = _norm(name), _norm(others[i])
        if a == b or (a and a in joined):
            continue
        ratio = difflib.SequenceMatcher(None, a, b).ratio()
        problems.append(f"author {i + 1}: '{name}' vs '{others[i]}'" + (" (spelling)" if ratio >= 0.75 else ""))
    return problems


def _title_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", strip_markdown(text).lower()) if len(w) > 2}


_VENUE = re.compile(r"\b(NeurIPS|NIPS|ICLR|ICML|ACL|EMNLP|TMLR|Transactions on Machine Learning Research|SC)"
                    r"\s?'?((?:19|20)?\d\d)?\b")


def _venues(text: str) -> set[tuple[str, str]]:
    """(venue, year) pairs named in a text: "Published at ICLR 2023" → ("iclr", "2023")."""
    out = set()
    for m in _VENUE.finditer(text):
        name = {"nips": "neurips", "transactions on machine learning research": "tmlr"}.get(m.group(1).lower(),
                                                                                          m.group(1).lower())
        year = m.group(2) or ""
        if len(year) == 2:
            year = "20" + year
        if name == "sc" and not year:
            continue
        out.add((name, year))
    return out


def compare_metadata(entry: PaperEntry | None, ref: Reference, header: SourceHeader | None) -> list[MetadataCheck]:
    """The paper's reference entry against references.json and the source file's header: authors,
    year, title, venue and URL. status "mismatch" for a disagreement, "note" for what a reader should
    know (no date in the source, a later publication the paper does not cite)."""
    n = ref.id
    if entry is None:
        return [MetadataCheck(n, "entry", "mismatch", "", ref.reference_text_in_paper, "",
                              f"{REFERENCES_FILE} lists [{n}] but the paper's reference list does not")]
    checks: list[MetadataCheck] = []
    if _norm(strip_markdown(entry.text)) != _norm(strip_markdown(ref.reference_text_in_paper)):
        checks.append(MetadataCheck(n, "entry", "mismatch", entry.text, ref.reference_text_in_paper, "",
                                    f"{REFERENCES_FILE} quotes the paper's entry differently"))
    checks.append(_authors_check(entry, ref, header))
    checks.append(_year_check(entry, ref, header))
    checks.append(_title_check(entry, ref, header))
    checks.append(_venue_check(entry, ref, header))
    checks.append(_url_check(entry, ref, header))
    return checks


def _authors_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    in_json = compare_authors(entry.authors, ref.authors)
    in_header = compare_authors(entry.authors, header.authors) if header and header.authors else []
    problems = list(dict.fromkeys(in_json + in_header))
    where = " and ".join(w for w, p in ((REFERENCES_FILE, in_json), ("the source header", in_header)) if p)
    return MetadataCheck(ref.id, "authors", "mismatch" if problems else "ok", ", ".join(entry.authors),
                         ", ".join(ref.authors[:8]), ", ".join(header.authors[:8]) if header else "",
                         f"{'; '.join(problems)} (per {where})" if problems else "")


def _year_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    years = header.years if header else ()
    source_desc = header.year_line if header else ""
    status, detail = "ok", ""
    if entry.year is None:
        status, detail = "mismatch", "the paper's entry has no year"
    elif (ref.year and entry.year != ref.year) or (years and entry.year not in years):
        others = []
        if ref.year and entry.year != ref.year:
            others.append(f"{REFERENCES_FILE} gives {ref.year}")
        if years and entry.year not in years:
            others.append(f"the source header gives {', '.join(map(str, years))}")
        status, detail = "mismatch", f"the paper says {entry.year}; " + "; ".join(others)
    elif header is not None and not years:
        status, detail = "note", "the source gives no date, so the paper's year cannot be checked against it"
    return MetadataCheck(ref.id, "year", status, str(entry.year or ""), str(ref.year or ""), source_desc, detail)


def _title_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    """The words of each title we hold should (mostly) appear in the paper's entry."""
    entry_words = _title_words(entry.text)
    titles = [t for t in (ref.title, header.title if header else "") if t]
    share, worst = min((len(_title_words(t) & entry_words) / max(1, len(_title_words(t))), t) for t in titles)
    ok = share >= 0.6
    return MetadataCheck(ref.id, "title", "ok" if ok else "mismatch", entry.text.split(": ", 1)[-1][:160], ref.title,
                         header.title if header else "",
                         "" if ok else f"only {share:.0%} of the words of “{worst}” appear in the paper's entry")


def _venue_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    """A peer-reviewed venue the source names that the paper's entry does not (it cites the preprint),
    or names with another year."""
    held: dict[str, str] = {}
    for name, year in sorted(_venues(f"{ref.venue} {header.year_line if header else ''}")):
        held[name] = held.get(name) or year  # "TMLR" and "TMLR 2023" are one venue
    cited: dict[str, str] = {}
    for name, year in sorted(_venues(entry.text)):
        cited[name] = cited.get(name) or year or str(entry.year or "")  # "NeurIPS (2017)": the entry's year

    def label(name: str, year: str) -> str:
        return f"{'NIPS/NeurIPS' if name == 'neurips' else name.upper()} {year}".strip()

    missing = [label(name, year) for name, year in held.items() if name not in cited]
    other_year = [f"{label(name, year)} (the paper: {cited[name]})" for name, year in held.items()
                  if name in cited and year and cited[name] != year]
    detail = []
    if missing:
        detail.append(f"the source says it appeared at {', '.join(missing)}; the paper's entry does not say so")
    if other_year:
        detail.append(f"the source dates the venue {', '.join(other_year)}")
    return MetadataCheck(ref.id, "venue", "note" if detail else "ok", entry.text.split(". ", 1)[-1][:120],
                         ref.venue, header.year_line if header else "", "; ".join(detail))


def _url_check(entry: PaperEntry, ref: Reference, header: SourceHeader | None) -> MetadataCheck:
    urls = [u for u in (ref.url, header.url if header else "") if u]
    source_url = header.url if header else ""
    if not entry.url:
        identified = re.search(r"arXiv:\s?\d{4}\.\d{4,5}", entry.text)
        status = "ok" if identified or not urls else "note"
        return MetadataCheck(ref.id, "url", status, "", ref.url, source_url,
                             "" if status == "ok" else "the paper's entry gives neither a URL nor an arXiv id")
    same = all(_norm(u).rstrip("/") == _norm(entry.url).rstrip("/") for u in urls)
    return MetadataCheck(ref.id, "url", "ok" if same else "mismatch", entry.url, ref.url, source_url,
                         "" if same else "the URLs differ")


# ==================================================================== source texts


@dataclass(frozen=True)
class SourceText:
    """What we hold of one reference: its body passages and verbatim words, or why there are none."""

    ref: Reference
    passages: tuple[Passage, ...]  # abstract / excerpt / fact passages
    words: SourceWords | None  # verbatim words (abstract, excerpts): where a quotation must be
    all_words: SourceWords | None  # every body passage, the paraphrased key facts included
    header: SourceHeader | None
    identity: str  # title, authors and publisher: what "OpenAI" or "Kaplan" in a claim may refer to
    missing_reason: str = ""  # why there is no text (empty when there is)

    @property
    def has_text(self) -> bool:
        return bool(self.passages)


def load_source_text(corpus_dir: Path, ref: Reference, max_words: int) -> SourceText:
    """Read one source tolerantly: a missing, empty or malformed file is a reason, not a crash."""
    identity = f"{ref.title} {' '.join(ref.authors)}"

    def without_text(reason: str, header: SourceHeader | None = None) -> SourceText:
        return SourceText(ref, (), None, None, header, identity, reason)

    if not ref.source_file:
        return without_text(f"we hold only the reference entry for [{ref.id}] ({ref.kind or 'source'}; no source text)")
    path = corpus_dir / ref.source_file
    if not path.exists():
        return without_text(f"source file {ref.source_file} is missing")
    try:
        text = read_text(path)
    except CorpusError as exc:
        return without_text(f"source file {ref.source_file} is unreadable: {exc}")
    if not text.strip():
        return without_text(f"source file {ref.source_file} is empty")
    try:
        passages = parse_source(corpus_dir, ref, max_words)
    except CorpusError as exc:
        return without_text(f"source file {ref.source_file} is malformed: {exc}")
    header = parse_source_header(text)
    body = tuple(p for p in passages if p.kind in BODY_KINDS and p.text.strip())
    if not body:
        return without_text(f"source file {ref.source_file} holds no text beyond its header", header)
    identity += f" {header.title} {' '.join(header.authors)} {_publisher_line(text)}"
    return SourceText(ref, body, source_words(ref.id, ref.source_file, text, body),
                      source_words(ref.id, ref.source_file, text, body, BODY_KINDS), header, identity)


def _publisher_line(text: str) -> str:
    m = re.search(r"^- (?:Author / publisher|Publisher|Author|Authors):\s*(.*)$", text, re.M)
    return m.group(1) if m else ""


# ==================================================================== verdicts


@dataclass(frozen=True)
class EvidenceItem:
    passage_id: str
    kind: str
    section: str
    text: str
    sentence: str  # the passage's sentence closest to the claim
    score: float
    similarity: float
    file: str
    start: int
    end: int
    url: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"], data["similarity"] = round(self.score, 4), round(self.similarity, 4)
        return data


@dataclass(frozen=True)
class Verdict:
    """The audit of one (citing sentence, reference) pair."""

    id: str
    claim: str  # the citing sentence (markdown stripped)
    section: str
    section_title: str
    ref: int
    verdict: str
    reason: str
    score: float  # 0..1 support of the attributed text by the source
    evidence: tuple[EvidenceItem, ...]
    quotes: tuple[QuoteCheck, ...]
    citation_kind: str  # sentence | clause | term
    attributed: str  # what the citation vouches for
    missing: tuple[str, ...]  # numbers, names and quotations of the attributed text absent from the source
    similarity: float
    overlap: float
    start: int  # the sentence's span in paper.md
    end: int
    line: int
    passage_ids: tuple[str, ...]  # the paper passages the sentence lies in
    reference: str  # the paper's reference entry
    source_file: str | None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "claim": self.claim, "section": self.section, "section_title": self.section_title,
            "ref": self.ref, "verdict": self.verdict, "reason": self.reason, "score": round(self.score, 4),
            "evidence": [e.to_dict() for e in self.evidence], "quotes": [q.to_dict() for q in self.quotes],
            "citation_kind": self.citation_kind, "attributed": self.attributed, "missing": list(self.missing),
            "similarity": round(self.similarity, 4), "overlap": round(self.overlap, 4),
            "start": self.start, "end": self.end, "line": self.line, "passage_ids": list(self.passage_ids),
            "reference": self.reference, "source_file": self.source_file,
        }

    def summary(self) -> dict:
        """The compact form an answer citation carries (answer → paper passage → source → verdict)."""
        best = self.evidence[0].to_dict() if self.evidence else None
        return {"id": self.id, "ref": self.ref, "verdict": self.verdict, "reason": self.reason,
                "score": round(self.score, 4), "claim": self.claim, "evidence": best,
                "quotes": [{"quote": q.quote, "status": q.status, "diff": q.diff_text()} for q in self.quotes]}


_MARKERS = re.compile(r"\s*(?:<sup>)?\[\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–-]\s*\d+)?)*\](?:</sup>)?")


def claim_text(text: str) -> str:
    """A sentence as a claim: citation markers, markdown and bullet lead-ins removed."""
    # a marker glued to the next word ("parallelism [9, 10](data …") leaves a space behind
    text = _MARKERS.sub(lambda m: " " if re.match(r"[\w(]", text[m.end() : m.end() + 1]) else "", text)
    text = re.sub(r"^\s*\*\*[^*]+\*\*\s*", "", text)  # "**OpenAI:** OpenAI hires …" → "OpenAI hires …"
    return re.sub(r"\s+", " ", strip_markdown(text)).strip()


@dataclass(frozen=True)
class TermCoverage:
    """How much of a cited term the source's words cover."""

    share: float
    missing: tuple[str, ...]  # the term's words the source does not use
    matched: tuple[tuple[str, str], ...]  # (term word, the source word that matched it)

    def describe(self) -> str:
        return "; ".join(f"“{w}” ~ “{hit}”" if _norm(w) != _norm(hit) else f"“{w}”" for w, hit in self.matched)


def term_coverage(term: str, source: SourceText) -> TermCoverage:
    """Share of a cited term's content words found in the source (its title included), by stem or a
    shared stem prefix ("planners" ~ "plans", "memory" ~ "memorization"). A hyphenated compound
    ("long-horizon") must occur whole."""
    words = [w for w in dict.fromkeys(re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", term.split(" (")[0]))
             if content_words(w)]
    if not words:
        return TermCoverage(0.0, (), ())
    haystack = " ".join(p.text for p in source.passages) + f" {source.ref.title} " + \
        (source.header.title if source.header else "")
    source_words_by_stem: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", haystack):
        for variant in {word, *word.split("-")}:
            source_words_by_stem.setdefault(_compound_stem(variant), variant)
    missing, matched = [], []
    for word in words:
        key = _compound_stem(word)
        hit = source_words_by_stem.get(key)
        if hit is None and "-" not in word:
            hit = next((w for s, w in sorted(source_words_by_stem.items()) if "-" not in s
                        and min(len(key), len(s)) >= 4 and (s.startswith(key) or key.startswith(s))), None)
        if hit is None:
            missing.append(word)
        else:
            matched.append((word, hit))
    return TermCoverage(1 - len(missing) / len(words), tuple(missing), tuple(matched))


def _compound_stem(word: str) -> str:
    return "-".join(stem(part.lower()) for part in word.split("-"))


def details_missing(support: Support, quotations: Sequence[Quotation], identity: str, claim: str) -> tuple[str, ...]:
    """Numbers and names of the attributed text that the source lacks. Quotations are left out (they
    are checked word by word instead; a short scare-quoted term is the paper's own word), and so are
    names that identify the source itself: "OpenAI notes …" is borne out by the source being
    OpenAI's job description. A capitalised first word ("According") is not a name."""
    quoted = [_norm(q.text) for q in quotations]
    who = f" {' '.join(re.findall(r'[a-z0-9]+', identity.lower()))} "
    first_word = (re.findall(r"[A-Za-z0-9]+", claim) or [""])[0]
    out = []
    for detail in support.missing:
        key = _norm(detail)
        if any(key and (key in q or q in key) for q in quoted if q):
            continue
        if f" {' '.join(re.findall(r'[a-z0-9]+', detail.lower()))} " in who or detail == first_word:
            continue
        out.append(detail)
    return tuple(out)


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


@dataclass(frozen=True)
class PairSignals:
    """Everything a verdict is decided from (plain data, so the decision is a pure function)."""

    kind: str
    support: Support  # the attributed text against all the source's passages
    quote_share: float  # share of the attributed text's words inside quotations of this source
    best_clause: tuple[str, Support] | None  # its best-supported clause, for a sentence of several
    missing: tuple[str, ...]
    quotes: tuple[QuoteCheck, ...]
    coverage: TermCoverage | None  # for a cited term
    held: str = ""  # "excerpts" / "the abstract": what we hold of the source, for the reason


def decide_verdict(signals: PairSignals, settings: Settings) -> tuple[str, str]:
    """(verdict, one-line reason) for a pair whose source has text. Thresholds come from settings."""
    sup = signals.support
    if signals.kind == "term" and signals.coverage is not None:
        return _term_verdict(signals, settings)

    def strong(s: Support) -> bool:
        return s.score >= settings.audit_supported_threshold and s.similarity >= settings.audit_min_similarity

    whole = strong(sup)
    clause = signals.best_clause if signals.best_clause and strong(signals.best_clause[1]) else None
    not_found = [q for q in signals.quotes if q.status == "not-found"]
    found = [q for q in signals.quotes if q.status in ("verbatim", "minor-edits", "differs")]
    differs = [q for q in signals.quotes if q.status == "differs"]
    held = f" (we hold only {signals.held} of this source)" if signals.held else ""
    if not_found:
        where = f"the quotation “{_short(not_found[0].quote, 60)}” is not in the text we hold{held}"
        if whole or clause or found:
            return "partial", f"{where}; the rest is supported (score {max(sup.score, _score(clause)):.2f})"
        return "not-supported", f"{where}, and the sentence's best match scores only {sup.score:.2f}"
    if found and signals.quote_share >= QUOTE_DOMINATED:
        # The sentence is mostly a quotation: whether the source says it is the quotation check.
        if differs:
            return "partial", f"the quotation is in the source but its wording differs ({_quote_summary(differs[0])})"
        if not signals.missing:
            return "supported", f"the quotation is in the source ({found[0].status}), support {sup.score:.2f}"
    if whole and not signals.missing and not differs:
        lead = "quotation found verbatim; " if found else ""
        return "supported", f"{lead}support {sup.score:.2f}, best match: “{_short(sup.sentence)}”"
    if whole or clause or found or sup.score >= settings.audit_partial_threshold:
        problems = []
        if signals.missing:
            problems.append(f"{', '.join(signals.missing[:4])} not in the source")
        if differs:
            problems.append(f"the quotation's wording differs ({_quote_summary(differs[0])})")
        if not whole:
            if clause:
                problems.append(f"only part is supported: “{_short(clause[0], 70)}” ({clause[1].score:.2f})")
            elif found:
                problems.append(f"the quotation is in the source but the rest of the sentence matches only weakly "
                                f"(score {sup.score:.2f})")
            else:
                problems.append(f"the source is on the topic but matches only in part (score {sup.score:.2f}, "
                                f"best: “{_short(sup.sentence, 70)}”)")
        return "partial", "; ".join(problems)
    return "not-supported", (f"the text we hold does not say this{held}: best match scores {sup.score:.2f}: "
                             f"“{_short(sup.sentence)}”")


QUOTE_DOMINATED = 0.5  # a sentence at least this much quotation is judged by its quotation


def _quote_summary(check: QuoteCheck, limit: int = 3) -> str:
    """The quotation's substantive differences in a few words: “good” → “solid”, adds “skills”."""
    parts = []
    for op in check.ops:
        if op.minor or op.op == "equal":
            continue
        if op.op == "inserted":
            parts.append(f"adds “{op.paper}”")
        elif op.op == "dropped":
            parts.append(f"drops “{op.source}”")
        elif op.op == "ellipsis":
            parts.append(op.note or "an ellipsis joins distant text")
        elif op.op == "bracketed":
            parts.append(f"“{op.source}” → “{op.paper}”, {op.note}" if op.source else f"adds “{op.paper}”")
        else:
            parts.append(f"“{op.source}” → “{op.paper}”")
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _score(clause: tuple[str, Support] | None) -> float:
    return clause[1].score if clause else 0.0


def _term_verdict(signals: PairSignals, settings: Settings) -> tuple[str, str]:
    coverage = signals.coverage or TermCoverage(0.0, (), ())
    share, absent = coverage.share, coverage.missing
    sim = signals.support.similarity
    held = signals.held or "the text"
    if share >= 1.0:
        return "supported", f"its words occur in the source ({coverage.describe()})"
    if share > 0 or sim >= settings.audit_term_similarity:
        gap = f"“{'”, “'.join(absent)}” not in {held} we hold"
        found = f" ({coverage.describe()})" if coverage.matched else f" (closest sentence, cosine {sim:.2f})"
        return "partial", f"the source is on the topic{found} but {gap}"
    return "not-supported", (f"none of its words occur in {held} we hold and its closest sentence is only "
                             f"{sim:.2f} similar: “{_short(signals.support.sentence, 70)}”")


def _short(text: str, limit: int = 90) -> str:
    text = re.sub(r"\s+", " ", strip_markdown(text)).strip().strip('"')
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def evidence_for(claim: str, passages: Sequence[Passage], embedder, settings: Settings, n: int,
                 prefer: tuple[str, ...] = (), quoted_in: frozenset[str] = frozenset()) -> tuple[EvidenceItem, ...]:
    """The source's passages ranked by how well each alone supports the claim. The passages that hold
    the sentence's quotations (quoted_in) come first; for a cited term, those that use its words
    (prefer), showing the sentence that uses them."""
    from .ground import passage_sentences

    items = []
    for p in passages:
        sup = score_support(claim, [p], embedder, settings)
        sentence = sup.sentence
        uses = [s for s in passage_sentences(p) if prefer and any(re.search(rf"\b{re.escape(w)}\b", s) for w in prefer)]
        if uses:
            sentence = uses[0]
        item = EvidenceItem(p.id, p.kind, p.section, p.text, sentence, sup.score, sup.similarity, p.file, p.start,
                            p.end, p.url)
        items.append((p.id not in quoted_in, not uses, -sup.score, p.id, item))
    items.sort(key=lambda t: t[:4])
    return tuple(item for *_, item in items[:n])


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
        return {"quote": self.quotation.text, "sentence": claim_text(self.sentence), "section": self.section,
                "line": self.line, "start": self.quotation.start, "end": self.quotation.end,
                "candidate": self.candidate.to_dict() if self.candidate else None,
                "paraphrase_only": self.paraphrase_only}


@dataclass
class AuditResult:
    verdicts: list[Verdict]
    uncited: list[UncitedQuotation]
    metadata: list[MetadataCheck]
    fingerprint: str = ""

    def counts(self) -> dict[str, int]:
        return verdict_counts(self.verdicts)

    def to_dict(self) -> dict:
        return {"verdicts": [v.to_dict() for v in self.verdicts], "uncited_quotes": [u.to_dict() for u in self.uncited],
                "metadata": [m.to_dict() for m in self.metadata], "counts": self.counts(),
                "fingerprint": self.fingerprint}


def verdict_counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICTS}
    for verdict in verdicts:
        counts[verdict.verdict] += 1
    return counts


def held_description(source: SourceText) -> str:
    """What part of the source we hold, for reasons: only excerpts of a web page, only an abstract."""
    kinds = {p.kind for p in source.passages}
    if "excerpt" in kinds:
        return "excerpts"
    if kinds == {"abstract"}:
        return "the abstract"
    return ""


def audit_pair(pair: CitationPair, source: SourceText, quotations: Sequence[Quotation], paper_entry: str,
               passage_ids: tuple[str, ...], embedder, settings: Settings) -> Verdict:
    """The verdict for one (sentence, reference) pair, with its evidence and quotation checks."""
    sentence = pair.sentence
    attributed = claim_text(pair.attributed) if pair.kind != "term" else pair.attributed
    # the quotations this reference vouches for (a clause citation vouches for those before it)
    mine = [q for q in quotations if pair.ref in q.refs and q.words >= settings.audit_quote_min_words
            and (pair.kind != "clause" or q.start < pair.marker_start)]
    base = dict(id=pair.id, claim=claim_text(sentence.text), section=sentence.section,
                section_title=sentence.section_title, ref=pair.ref, citation_kind=pair.kind, attributed=attributed,
                start=sentence.start, end=sentence.end, line=sentence.line, passage_ids=passage_ids,
                reference=paper_entry, source_file=source.ref.source_file)
    if not source.has_text:
        quotes = tuple(QuoteCheck(q.text, pair.ref, "no-source-text", 0.0, paper_start=q.start,
                                  reason=source.missing_reason) for q in mine)
        return Verdict(**base, verdict="no-source-text", reason=source.missing_reason, score=0.0, evidence=(),
                       quotes=quotes, missing=(), similarity=0.0, overlap=0.0)
    quotes = tuple(_with_paper_start(lookup_quote(q.text, source.words, settings.audit_quote_found_ratio, pair.ref),
                                     q.start) for q in mine)
    support = score_support(attributed, source.passages, embedder, settings)
    if pair.kind == "term":
        coverage = term_coverage(attributed, source)
        signals = PairSignals("term", support, 0.0, None, coverage.missing, quotes, coverage, held_description(source))
    else:
        clauses = [(c, score_support(c, source.passages, embedder, settings)) for c in claim_clauses(attributed)]
        best_clause = max(clauses, key=lambda cs: cs[1].score) if clauses else None
        all_quotes = [q for q in quotations if pair.ref in q.refs or not q.refs]
        missing = details_missing(support, all_quotes, source.identity, attributed)
        share = sum(q.words for q in mine) / max(1, len(re.findall(r"\w+", attributed)))
        signals = PairSignals(pair.kind, support, min(1.0, share), best_clause, missing, quotes, None,
                              held_description(source))
    verdict, reason = decide_verdict(signals, settings)
    score = support.score
    if pair.kind == "term":
        reason = f"cited for the term “{attributed}”: {reason}"
        score = term_score(signals.coverage.share if signals.coverage else 0.0, support.score)
    evidence = evidence_for(attributed, source.passages, embedder, settings, settings.audit_evidence_passages,
                            prefer=tuple(hit for _, hit in signals.coverage.matched) if signals.coverage else (),
                            quoted_in=frozenset(q.passage_id for q in quotes if q.status != "not-found" and q.passage_id))
    return Verdict(**base, verdict=verdict, reason=reason, score=score, evidence=evidence, quotes=quotes,
                   missing=signals.missing, similarity=support.similarity, overlap=support.overlap)


def term_score(coverage: float, support_score: float) -> float:
    """A cited term's score: the mean of the share of its words the source uses and the support score
    (a one-word term embeds poorly, so the words count as much as the similarity)."""
    return (coverage + support_score) / 2


def _with_paper_start(check: QuoteCheck, start: int) -> QuoteCheck:
    return QuoteCheck(**{**check.__dict__, "paper_start": start})


def paper_passage_ids(passages: Sequence[Passage], start: int, end: int) -> tuple[str, ...]:
    """Ids of the paper passages that overlap a span of paper.md."""
    return tuple(p.id for p in passages if p.kind != "reference" and p.start < end and p.end > start)


def warm_embeddings(texts: Iterable[str], embedder) -> None:
    """Encode every text the audit will score in one sorted batch: fast, and the same batches (so the
    same floating-point results) on every run."""
    from .ground import encode_cached

    encode_cached(embedder, sorted(set(t for t in texts if t)))


def audit_corpus(settings: Settings | None = None, embedder=None) -> AuditResult:
    """The full audit: every pair's verdict, the quotations without a citation, the metadata checks.
    A corpus with a missing or empty source file is audited, not refused."""
    from .ground import passage_sentences

    settings = settings or get_settings()
    corpus_dir = Path(settings.corpus_dir)
    if embedder is None:
        from .embeddings import get_embedder

        embedder = get_embedder(settings)
    paper_text = read_text(corpus_dir / PAPER_FILE)
    refs = load_references(corpus_dir)
    entries = parse_paper_references(paper_text)
    sources = {n: load_source_text(corpus_dir, ref, settings.window_words) for n, ref in sorted(refs.items())}
    passages = parse_paper(corpus_dir, settings.window_words)
    sentences = paper_sentences(paper_text)
    pairs = [(sentence, pair) for sentence in sentences for pair in citation_pairs(sentence) if pair.ref in sources]
    texts = [strip_markdown(s).strip() for src in sources.values() for p in src.passages for s in passage_sentences(p)]
    for _, pair in pairs:
        attributed = claim_text(pair.attributed) if pair.kind != "term" else pair.attributed
        texts += [attributed, *claim_clauses(attributed)]
    warm_embeddings(texts, embedder)

    verdicts: list[Verdict] = []
    quotations_of = {s.start: find_quotations(s) for s in sentences}
    for sentence, pair in pairs:
        entry = entries[pair.ref].text if pair.ref in entries else sources[pair.ref].ref.reference_text_in_paper
        verdicts.append(audit_pair(pair, sources[pair.ref], quotations_of[sentence.start], entry,
                                   paper_passage_ids(passages, sentence.start, sentence.end), embedder, settings))
    with_text = [s for s in sources.values() if s.has_text]
    uncited = [uncited_quotation(q, sentence, with_text, settings) for sentence in sentences
               for q in quotations_of[sentence.start] if not q.refs and q.words >= settings.audit_quote_min_words]
    metadata = [check for n, source in sources.items()
                for check in compare_metadata(entries.get(n), source.ref, source.header)]
    metadata += [MetadataCheck(n, "entry", "mismatch", entries[n].text, "", "",
                               f"the paper lists [{n}] but {REFERENCES_FILE} does not")
                 for n in sorted(set(entries) - set(sources))]
    return AuditResult(verdicts, uncited, metadata, audit_fingerprint(settings))


UNCITED_DIFFERS_RATIO = 0.8


def uncited_quotation(quotation: Quotation, sentence: CitingSentence, sources: Sequence[SourceText],
                      settings: Settings) -> UncitedQuotation:
    """Look an uncited quotation up in every source: verbatim text first, then the paraphrased facts."""
    ratio = settings.audit_quote_found_ratio
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


# ==================================================================== selection, caching, lookup for answers


def paper_reference_numbers(settings: Settings) -> list[int]:
    return sorted(parse_paper_references(read_text(Path(settings.corpus_dir) / PAPER_FILE)))


def check_ref(ref: int, settings: Settings) -> None:
    """Raise AuditError unless the paper's reference list has [ref]."""
    numbers = paper_reference_numbers(settings)
    if ref not in numbers:
        span = f"[{numbers[0]}]–[{numbers[-1]}]" if numbers else "none"
        raise AuditError(f"the paper has no reference [{ref}] (its references are {span})")


def select_verdicts(verdicts: Iterable[Verdict], ref: int | None = None, section: str | None = None) -> list[Verdict]:
    """Filter by reference number and by section number or (part of) its title."""
    out = list(verdicts)
    if ref is not None:
        out = [v for v in out if v.ref == ref]
    if section is not None:
        key = section.strip().lower()
        out = [v for v in out if v.section.lower() == key or key in v.section_title.lower()]
    return out


def check_section(section: str, verdicts: Sequence[Verdict]) -> None:
    if not select_verdicts(verdicts, section=section):
        known = ", ".join(dict.fromkeys(f"{v.section} ({v.section_title})" for v in verdicts))
        raise AuditError(f"no citing sentence in a section matching {section!r}; sections with citations: {known}")


def audit_fingerprint(settings: Settings) -> str:
    """Changes with the corpus, the embedding model, the audit's logic and its thresholds."""
    knobs = {k: v for k, v in settings.model_dump().items() if k.startswith(("audit_", "support_"))}
    knobs["window_words"] = settings.window_words
    return _fingerprint(json.dumps(knobs, sort_keys=True, default=str), str(settings.model_path()),
                        _corpus_stat(Path(settings.corpus_dir)), settings)


def _corpus_stat(corpus_dir: Path) -> tuple:
    """Names, sizes and modification times of the corpus files: a cheap key that changes with them."""
    from .corpus import corpus_files

    out = []
    for path in corpus_files(corpus_dir):
        try:
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(path), -1, -1))
    return tuple(out)


_FINGERPRINTS: dict[tuple, str] = {}


def _fingerprint(knobs: str, model: str, corpus_stat: tuple, settings: Settings) -> str:
    """Hashes the corpus content once per (files, sizes, times): an answer's verdict lookup stays cheap."""
    key = (knobs, model, corpus_stat)
    if key not in _FINGERPRINTS:
        from .store import corpus_fingerprint

        blob = json.dumps({"v": AUDIT_VERSION, "corpus": corpus_fingerprint(settings), "knobs": knobs}, sort_keys=True)
        _FINGERPRINTS[key] = hashlib.sha256(blob.encode()).hexdigest()[:24]
    return _FINGERPRINTS[key]


_MEMORY: dict[str, AuditResult] = {}


def cached_audit(settings: Settings | None = None, embedder=None) -> AuditResult:
    """The audit, computed once per process for a given corpus, model and thresholds."""
    settings = settings or get_settings()
    key = audit_fingerprint(settings)
    if key not in _MEMORY:
        result = audit_corpus(settings, embedder)
        _MEMORY.clear()
        _MEMORY[key] = result
    return _MEMORY[key]


def run_audit(settings: Settings | None = None, ref: int | None = None, section: str | None = None,
              embedder=None) -> list[Verdict]:
    """Verdicts for every (citing sentence, reference) pair, optionally for one reference or section.
    Raises AuditError for a reference number the paper does not have or a section without citations."""
    settings = settings or get_settings()
    if ref is not None:
        check_ref(ref, settings)
    result = cached_audit(settings, embedder)
    if section is not None:
        check_section(section, result.verdicts)
    return select_verdicts(result.verdicts, ref, section)


def _generation_cache_path(settings: Settings) -> Path | None:
    """index/<generation>/audit.json when the live index was built from this very corpus."""
    from .store import _pointer_path, corpus_fingerprint

    try:
        pointer = json.loads(_pointer_path(settings).read_text())
    except (OSError, ValueError):
        return None
    if pointer.get("fingerprint") != corpus_fingerprint(settings):
        return None
    gen_dir = Path(settings.index_dir) / str(pointer.get("generation", ""))
    return gen_dir / "audit.json" if pointer.get("generation") and gen_dir.is_dir() else None


_SUMMARIES: dict[str, dict[str, list[dict]]] = {}


def _stored_summaries(path: Path | None, key: str) -> dict[str, list[dict]] | None:
    """The per-passage verdicts cached at path, if they were computed for this very fingerprint."""
    if path is None or not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    table = stored.get("by_passage") if isinstance(stored, dict) and stored.get("fingerprint") == key else None
    return table if isinstance(table, dict) else None


def verdict_summaries_by_passage(settings: Settings | None = None, embedder=None) -> dict[str, list[dict]]:
    """paper passage id → compact verdicts of the pairs in it. Cached in memory and in the index
    generation directory, so the answer pipeline pays for the audit once per index, not per question."""
    settings = settings or get_settings()
    key = audit_fingerprint(settings)
    if key in _SUMMARIES:
        return _SUMMARIES[key]
    path = _generation_cache_path(settings)
    table = _stored_summaries(path, key)
    if table is None:
        table = {}
        for verdict in cached_audit(settings, embedder).verdicts:
            for pid in verdict.passage_ids:
                table.setdefault(pid, []).append(verdict.summary())
        if path is not None:
            try:
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(json.dumps({"fingerprint": key, "by_passage": table}, ensure_ascii=False),
                               encoding="utf-8")
                os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
            except OSError:
                pass  # a read-only index still answers; the cache is only an optimisation
    _SUMMARIES.clear()
    _SUMMARIES[key] = table
    return table


def verdict_summaries_if_ready(settings: Settings | None = None) -> dict[str, list[dict]] | None:
    """The per-passage verdicts when they cost nothing to get (in memory, or cached beside the live
    index); None when the audit would first have to run (~10 s), so an answer never waits for it."""
    settings = settings or get_settings()
    key = audit_fingerprint(settings)
    if key in _SUMMARIES:
        return _SUMMARIES[key]
    table = _stored_summaries(_generation_cache_path(settings), key)
    if table is not None:
        _SUMMARIES.clear()
        _SUMMARIES[key] = table
    return table


def audit_verdicts_for(passage: Passage | str, ref: int | None = None, settings: Settings | None = None,
                       embedder=None) -> tuple[dict, ...]:
    """The audit verdicts of a paper passage's own citations (optionally only for reference [ref]), for
    an answer citation to carry: answer sentence → paper passage → source passage → verdict.
    A source passage or an unknown id has none."""
    pid = passage if isinstance(passage, str) else passage.id
    if not pid.startswith("paper:"):
        return ()
    found = verdict_summaries_by_passage(settings, embedder).get(pid, [])
    return tuple(v for v in found if ref is None or v["ref"] == ref)


# ==================================================================== the Markdown report

_KIND_LABEL = {"sentence": "the sentence", "clause": "the clause before the marker", "term": "the term"}


def _cell(text: str, limit: int = 0) -> str:
    text = _short(text, limit) if limit else re.sub(r"\s+", " ", text).strip()
    return text.replace("|", "\\|")


def _entry_label(verdicts: Sequence[Verdict], ref: int, refs: dict[int, Reference] | None) -> str:
    if refs and ref in refs:
        r = refs[ref]
        who = r.authors[0] if r.authors else ""
        return f"{who}: {r.title}" if who and who not in r.title else r.title
    entry = next((v.reference for v in verdicts if v.ref == ref), "")
    return entry


def audit_report_markdown(verdicts: Sequence[Verdict], uncited: Sequence[UncitedQuotation] = (),
                          metadata: Sequence[MetadataCheck] = (), settings: Settings | None = None,
                          refs: dict[int, Reference] | None = None) -> str:
    """The audit as a Markdown report: counts per verdict and per reference, every partial and
    not-supported pair with its evidence and quotation diff, the pairs without source text, the
    supported pairs, quotations without a citation and reference metadata mismatches. Deterministic:
    no dates, so regenerating an unchanged audit gives an identical file."""
    settings = settings or get_settings()
    counts = verdict_counts(verdicts)
    out: list[str] = []
    add = out.append
    add("# Citation audit of “The AI Roles Continuum”\n")
    add("Every sentence of `corpus/paper.md` that carries a citation marker, paired with each reference it cites "
        "(a sentence citing [13–15] gives three pairs), checked against the source text we hold for that reference. "
        "Generated by `advisor audit --report docs/citation-audit.md`; see "
        "[How to read this report](#how-to-read-this-report).\n")
    add("## Summary\n")
    add("| verdict | pairs |\n|---|---:|")
    for name in VERDICTS:
        add(f"| {name} | {counts[name]} |")
    add(f"| **total** | **{len(verdicts)}** |\n")
    sentences = len({v.start for v in verdicts})
    quoted = [q for v in verdicts for q in v.quotes]
    add(f"{len(verdicts)} pairs from {sentences} citing sentences; {len(quoted)} quotations attributed to a cited "
        f"source ({sum(1 for q in quoted if q.status != 'no-source-text')} checked against its text, the rest cite "
        "a source we hold no text for), "
        f"{len(uncited)} quotations without a citation, "
        f"{sum(1 for m in metadata if m.status == 'mismatch')} reference metadata mismatches.\n")

    add("## Verdicts per reference\n")
    add("| ref | reference | pairs | supported | partial | not-supported | no-source-text |")
    add("|---:|---|---:|---:|---:|---:|---:|")
    for ref in sorted({v.ref for v in verdicts}):
        mine = [v for v in verdicts if v.ref == ref]
        c = verdict_counts(mine)
        add(f"| [{ref}] | {_cell(_entry_label(verdicts, ref, refs), 70)} | {len(mine)} | "
            + " | ".join(str(c[name]) if c[name] else "·" for name in VERDICTS) + " |")
    add("")

    for name, heading in (("not-supported", "Not supported"), ("partial", "Partially supported")):
        chosen = [v for v in verdicts if v.verdict == name]
        add(f"## {heading} ({len(chosen)})\n")
        if not chosen:
            add("None.\n")
        for v in chosen:
            out.extend(_pair_section(v))

    no_text = [v for v in verdicts if v.verdict == "no-source-text"]
    add(f"## No source text ({len(no_text)})\n")
    add("We hold only the reference entry for these sources, so the audit does not guess.\n")
    for ref in sorted({v.ref for v in no_text}):
        mine = [v for v in no_text if v.ref == ref]
        add(f"- **[{ref}]** {_cell(mine[0].reason)} — {len(mine)} pair{'s' if len(mine) > 1 else ''}: "
            + "; ".join(f"§{v.section} line {v.line} “{_cell(v.claim, 80)}”" for v in mine))
    add("")

    supported = [v for v in verdicts if v.verdict == "supported"]
    add(f"## Supported ({len(supported)})\n")
    add("| ref | § | line | cited for | score | claim | best evidence |\n|---:|---|---:|---|---:|---|---|")
    for v in supported:
        best = v.evidence[0] if v.evidence else None
        cited_for = "term “" + _cell(v.attributed) + "”" if v.citation_kind == "term" else v.citation_kind
        add(f"| [{v.ref}] | {v.section} | {v.line} | {cited_for} | {v.score:.2f} | {_cell(v.claim, 110)} | "
            + (f"`{best.passage_id}` “{_cell(best.sentence, 80)}”" if best else "") + " |")
    add("")

    quotes = [(v, q) for v in verdicts for q in v.quotes]
    add(f"## Quotations attributed to a source ({len(quotes)})\n")
    add("| ref | line | quotation | status | detail |\n|---:|---:|---|---|---|")
    for v, q in quotes:
        add(f"| [{q.ref}] | {v.line} | “{_cell(q.quote, 90)}” | {q.status} | {_cell(q.reason)} |")
    add("")

    add(f"## Quotations without a citation ({len(uncited)})\n")
    if not uncited:
        add("None.\n")
    for u in uncited:
        where = f"§{u.section} line {u.line}"
        if u.candidate is None:
            add(f"- {where}: “{_cell(u.quotation.text)}” — no source in the corpus contains these words.")
        else:
            c = u.candidate
            kind = "in its paraphrased key facts, not a verbatim excerpt" if u.paraphrase_only else c.status
            add(f"- {where}: “{_cell(u.quotation.text)}” — best candidate **[{c.ref}]** `{c.passage_id}` ({kind}, "
                f"{c.ratio:.0%} of its words): `{render_diff(c.ops)}`")
    add("")

    problems = [m for m in metadata if m.status != "ok"]
    add(f"## Reference metadata ({sum(1 for m in problems if m.status == 'mismatch')} mismatches, "
        f"{sum(1 for m in problems if m.status == 'note')} notes)\n")
    add("The paper's reference entry against `corpus/references.json` and the source file's header "
        "(authors, year, title, venue, URL); only disagreements and notes are listed.\n")
    if problems:
        add("| ref | field | status | paper | references.json | source header | detail |")
        add("|---:|---|---|---|---|---|---|")
        for m in sorted(problems, key=lambda m: (m.status != "mismatch", m.ref, m.field)):
            add(f"| [{m.ref}] | {m.field} | {m.status} | {_cell(m.paper, 50)} | {_cell(m.references_json, 50)} | "
                f"{_cell(m.source, 50)} | {_cell(m.detail)} |")
    else:
        add("No disagreements.")
    add("")
    out.extend(_method_section(settings))
    return "\n".join(out).rstrip() + "\n"


def _pair_section(v: Verdict) -> list[str]:
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
        lines.append(f"- **Quotation** “{_cell(q.quote, 120)}” — {q.status} ({q.ratio:.0%} of its words found{where}): "
                     f"{q.reason}")
        if q.ops:
            lines.append(f"  - diff: `{render_diff(q.ops)}`")
        elif q.source_text:
            lines.append(f"  - closest source text: “{_cell(q.source_text, 160)}”")
    lines.append("")
    return lines


def _method_section(settings: Settings) -> list[str]:
    s = settings
    return [
        "## How to read this report\n",
        "- **Pairs.** A citation marker at the end of a sentence vouches for the sentence; one right after a "
        "quotation or ending a long clause vouches for the sentence up to the marker (“clause”); one attached to a "
        "phrase in mid-sentence (“efficiency (distillation[16], quantization [13–15])”) vouches only for that term.",
        f"- **Support** is `ground.score_support` (shared with the answers): {s.support_similarity_weight:g} × MiniLM "
        f"cosine between the claim and the best sentence of the source + {1 - s.support_similarity_weight:g} × share of "
        "the claim's content words found in the best passage; it also lists the claim's numbers and names that are "
        "not in the source (names of the source's own author or publisher count as present).",
        f"- **supported**: support ≥ {s.audit_supported_threshold:g} and cosine ≥ {s.audit_min_similarity:g}, no "
        "missing number or name, and every quotation found with at most meaning-preserving edits. **partial**: "
        f"support ≥ {s.audit_partial_threshold:g}, or one clause of the sentence (or one of its quotations) is in the "
        "source, or a quotation differs. **not-supported**: none of that. A quotation that is not in the text we hold "
        "makes the pair at best partial. **no-source-text**: we hold only the reference entry, or the file is empty "
        "or missing.",
        "- **Terms** are checked word by word (stems, and stem prefixes such as “planners” ~ “plans”): all words "
        f"present → supported; some, or cosine ≥ {s.audit_term_similarity:g} → partial. A term's score is the mean "
        "of the share of its words found and its support score.",
        f"- **Quotation-led sentences** (at least {QUOTE_DOMINATED:.0%} of the words attributed to the source are in "
        "quotation marks) are judged by the quotation check: found → supported, wording differs → partial.",
        f"- **Quotations** of at least {s.audit_quote_min_words} words are looked up in the source's verbatim "
        "parts (abstract, verbatim excerpts; never the paraphrased key facts) with a word-level diff (difflib over "
        f"stems): found when ≥ {s.audit_quote_found_ratio:.0%} of its words line up. In a diff, `{{-…-}}` are source "
        "words the paper drops without an ellipsis, `{+…+}` words it adds, `{source → paper}` changed words, "
        "`[… hides: …]` the text an ellipsis leaves out. Abbreviations (“ML” for “machine learning”), “e.g.” for "
        "“for example”, singular/plural and bracketed glosses count as minor edits; bracketed substitutions "
        "(“[plays]” for “to play”) and dropped words do not.",
        "- **Limits.** The verdict is about the text we hold: for web pages only short excerpts, for papers only "
        "the abstract; a claim the full source makes elsewhere can still be “not-supported” here. MiniLM similarity "
        "misses paraphrases that share no words (“systems solution” vs “computer science solution”), so a "
        "sentence can score lower than a reader would judge.",
        "",
    ]
