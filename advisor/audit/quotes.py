"""Quotations in the paper, and where (and how faithfully) a source's verbatim words hold each of them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.text import CITATION, citation_numbers
from ..corpus import VALID_REFS
from .citing import CitingSentence
from .diff import DiffOp, render_diff, word_diff
from .words import SourceWords, Token, tokenize


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
        out.append(
            Quotation(
                match.group(group),
                sentence.start + match.start(group),
                sentence.start + match.end(group),
                sentence.start,
                refs,
            )
        )
    return out


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
    cut_before: str = ""  # words of the source sentence before the quotation that the paper leaves out
    cut_after: str = ""  # and after it
    qualifiers: tuple[str, ...] = ()  # scope the cut drops: "For some teams", "of the future", "increasingly"
    voice: str = ""  # the source says it as its own expectation or view, or quotes someone else

    def diff_text(self) -> str:
        return render_diff(self.ops)

    def framed_diff(self) -> str:
        """The diff with what the quotation cuts at both ends of its source sentence: [cut: …]."""
        parts = [f"[cut before: “{self.cut_before}”]"] if self.cut_before else []
        parts.append(render_diff(self.ops))
        if self.cut_after:
            parts.append(f"[cut after: “{self.cut_after}”]")
        return " ".join(p for p in parts if p)

    def to_dict(self) -> dict:
        # Written by hand: the JSON carries the rendered diff and only the changes, not the raw ops.
        data = {
            "quote": self.quote,
            "ref": self.ref,
            "status": self.status,
            "ratio": round(self.ratio, 3),
            "passage_id": self.passage_id,
            "file": self.file,
            "start": self.start,
            "end": self.end,
            "source_text": self.source_text,
            "diff": self.diff_text(),
            "changes": [op.to_dict() for op in self.ops if op.op != "equal"],
            "reason": self.reason,
            "cut_before": self.cut_before,
            "cut_after": self.cut_after,
            "qualifiers": list(self.qualifiers),
            "voice": self.voice,
        }
        if self.paper_start is not None:
            data["paper_start"] = self.paper_start
        return data


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
    blocks = [
        b
        for b in difflib.SequenceMatcher(None, seg, src[w_start:w_end], autojunk=False).get_matching_blocks()
        if b.size
    ]
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
    if (
        words.passage_of[previous.end - 1] != words.passage_of[current.start]
        and gap > MAX_ELLIPSIS_WORDS // 2
        or gap > MAX_ELLIPSIS_WORDS
    ):
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
        return QuoteCheck(
            quote,
            ref,
            "not-found",
            ratio,
            words.passage_of[nearest.start] if nearest else None,
            words.file,
            source_text=closest,
            reason=f"not in the source: at most {ratio:.0%} of its words line up with its text",
        )
    first = min(h.start for h in located)
    last = max(h.end for h in located) - 1
    start, end = words.tokens[first].start, words.tokens[last].end
    edits = [op for op in ops if op.op != "equal" and not (op.op == "ellipsis" and op.minor)]
    substantive = [op for op in edits if not op.minor]
    status = "differs" if substantive else "minor-edits" if edits else "verbatim"
    return QuoteCheck(
        quote,
        ref,
        status,
        ratio,
        words.passage_of[first],
        words.file,
        start,
        end,
        words.text[start:end],
        tuple(ops),
        reason=quote_reason(status, ops),
    )


def quote_reason(status: str, ops: Sequence[DiffOp]) -> str:
    if status == "verbatim":
        hidden = [op for op in ops if op.op == "ellipsis" and op.source]
        return "verbatim" + (
            f"; an ellipsis hides {sum(len(op.source.split()) for op in hidden)} words" if hidden else ""
        )
    changes = [op for op in ops if op.op != "equal" and not (op.op == "ellipsis" and op.minor)]
    counts: dict[str, int] = {}
    for op in changes:
        label = {
            "bracketed": "bracketed edit",
            "ellipsis": "reordering ellipsis",
            "inserted": "insertion",
            "dropped": "omission",
            "changed": "changed word",
        }[op.op]
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
