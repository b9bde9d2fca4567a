"""Pure text helpers: sentence spans, citation markers, normalisation. No I/O, no models."""

from __future__ import annotations

import re

# A citation marker: [2], [9, 10], [13–15], <sup>[12]</sup>. Digits only, so "[their]" and
# markdown links "[text](url)" are not markers.
CITATION = re.compile(r"(?:<sup>)?\[(\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–-]\s*\d+)?)*)\](?:</sup>)?")

# Words that end in a period without ending a sentence.
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "vs", "al", "ph.d", "fig", "cf", "inc", "no", "dr", "mr", "ms", "approx",
    "u.s", "u.k", "jr", "sr", "st", "eq", "sec", "vol", "p", "pp", "ca", "resp",
}

# A candidate boundary: terminal punctuation, closing quotes/brackets, trailing citation markers.
_BOUNDARY = re.compile(
    r"[.!?]+[\"”’')\]*]*(?:\s*(?:<sup>)?\[\d[\d,\s–-]*\](?:</sup>)?)*(?=\s+[\"“‘(\[*A-Z0-9])"
)


def citation_numbers(marker_body: str) -> list[int]:
    """'9, 10' -> [9, 10]; '13–15' -> [13, 14, 15]."""
    numbers: list[int] = []
    for part in marker_body.split(","):
        part = part.strip()
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            if lo <= hi and hi - lo < 50:
                numbers.extend(range(lo, hi + 1))
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


def parse_citations(text: str, valid: range | None = None) -> tuple[int, ...]:
    """Every reference number cited in text, in first-seen order, without repeats."""
    seen: list[int] = []
    for match in CITATION.finditer(text):
        for n in citation_numbers(match.group(1)):
            if (valid is None or n in valid) and n not in seen:
                seen.append(n)
    return tuple(seen)


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text, shifted by offset. Keeps citation markers that
    follow the full stop ("…tooling.”[4] Meta…") with the sentence they cite for."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        word = re.search(r"([\w.]+)[.!?]+[\"”’')\]*]*$", text[start : match.start() + 1])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS and text[match.start()] == ".":
            continue
        if text[match.start() - 2 : match.start() + 1] == ". ." or text[start:end].strip() == "":
            continue
        spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if text[start:].strip():
        end = len(text.rstrip())
        spans.append((start, end))
    return [(s + offset, e + offset) for s, e in spans if e > s]


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def normalize_for_match(text: str) -> str:
    """Lower-case, every run of non-alphanumeric characters collapsed to one space (eval rule)."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def strip_markdown(text: str) -> str:
    """Drop emphasis markers and <sup> tags for display in plain text contexts."""
    text = re.sub(r"</?sup>", "", text)
    return re.sub(r"\*{1,3}([^*]+)\*{1,3}", r"\1", text)
