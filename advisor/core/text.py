"""Pure text helpers: the one citation-marker regex, sentence spans, the one stop-word list, word
stems, normalisation and input clean-up. No I/O, no models."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# A citation marker: [2], [9, 10], [13–15], <sup>[12]</sup>. Digits only, so "[their]" and
# markdown links "[text](url)" are not markers.
CITATION = re.compile(r"(?:<sup>)?\[(\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–-]\s*\d+)?)*)\](?:</sup>)?")

# A marker with the white space before it, for removing markers from a sentence.
CITATION_WITH_SPACE = re.compile(r"\s*" + CITATION.pattern)

# Words that end in a period without ending a sentence.
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "al",
    "ph.d",
    "fig",
    "cf",
    "inc",
    "no",
    "dr",
    "mr",
    "ms",
    "approx",
    "u.s",
    "u.k",
    "jr",
    "sr",
    "st",
    "eq",
    "sec",
    "vol",
    "p",
    "pp",
    "ca",
    "resp",
}

# A candidate boundary: terminal punctuation, closing quotes/brackets, trailing citation markers, before a
# sentence's start; in a typed message a sentence may start in lower case ("... serving side. papers dont ...").
_BOUNDARY_BEFORE = r"[.!?]+[\"”’')\]*]*(?:\s*" + CITATION.pattern + r")*(?=\s+[\"“‘(\[*{starts}0-9])"
_BOUNDARY = re.compile(_BOUNDARY_BEFORE.replace("{starts}", "A-Z"))
_TYPED_BOUNDARY = re.compile(_BOUNDARY_BEFORE.replace("{starts}", "A-Za-z"))


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


def sentence_spans(text: str, offset: int = 0, typed: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text, shifted by offset. Keeps citation markers that
    follow the full stop ("…tooling.”[4] Meta…") with the sentence they cite for. `typed`: a person's message,
    whose sentences may start in lower case."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in (_TYPED_BOUNDARY if typed else _BOUNDARY).finditer(text):
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


# A phrase in quotes: "…", “…” or '…' (an apostrophe inside or after a word, "Meta's", opens none).
_QUOTED = re.compile(r"[\"“]([^\"”]{3,200})[\"”]|(?<!\w)['‘]([^'’\n]{3,200})['’](?!\w)")


def quoted_phrases(text: str) -> list[str]:
    return [(m.group(1) or m.group(2)).strip() for m in _QUOTED.finditer(text)]


def normalize_for_match(text: str) -> str:
    """Lower-case, every run of non-alphanumeric characters collapsed to one space (eval rule)."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


# A markdown link to a web or mail address. Only those: "[9, 10](data and model parallel training)" in the paper
# is a citation marker before a parenthesis.
_LINK = re.compile(r"\[([^\]]+)\]\((?:https?:|mailto:)[^)\s]*\)")


def strip_markdown(text: str) -> str:
    """Drop emphasis markers, <sup> tags and link targets for display in plain text contexts."""
    text = _LINK.sub(r"\1", re.sub(r"</?sup>", "", text))
    return re.sub(r"\*{1,3}([^*]+)\*{1,3}", r"\1", text)


def strip_citations(text: str) -> str:
    """The text without its citation markers."""
    return CITATION_WITH_SPACE.sub("", text)


def normalize_ws(text: str) -> str:
    """Lower-case with every run of white space collapsed (for comparing sentences)."""
    return re.sub(r"\s+", " ", text).strip().lower()


def shorten(text: str | None, limit: int = 90) -> str:
    """At most limit characters, cut at a word with an ellipsis."""
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


class InputError(ValueError):
    """User text that cannot be used as given (e.g. it is empty); the message says what to do."""


_NOT_TEXT = re.compile("[\ud800-\udfff\x00]")  # lone surrogates (bad bytes in argv, "\ud800" in JSON) and NUL
REPLACED_CHARACTERS = "{count} character(s) that are not text (bad bytes) were replaced with \ufffd."


def scrub_text(text: str) -> tuple[str, int]:
    """text with every lone surrogate and NUL replaced by U+FFFD (nothing downstream can encode them),
    and how many were replaced."""
    return _NOT_TEXT.subn("\ufffd", text)


def prepare_input(raw: str | None, max_chars: int, *, empty: str, truncated: str) -> tuple[str, tuple[str, ...]]:
    """Collapse white space, replace characters that are not text (with a notice), refuse empty text,
    cut over-long text at a word with a notice.
    `empty` is the error message; `truncated` a format string with {length}, {kept} and {limit}."""
    text, replaced = scrub_text(re.sub(r"\s+", " ", raw or "").strip())
    notices = (REPLACED_CHARACTERS.format(count=replaced),) if replaced else ()
    if not text.replace("\ufffd", "").strip():
        raise InputError(empty)
    if len(text) > max_chars:
        cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
        return cut, (*notices, truncated.format(length=len(text), kept=len(cut), limit=max_chars))
    return text, notices


# The one stop-word list: English function words that carry no topic. Every stage that keeps "content
# words" (grounding overlap, coverage focus words, evidence ranking, role-fit cues, cited terms) starts
# from it and adds only the words of its own domain.
STOPWORDS = frozenset(
    """a an the and or but if then than that this these those there here of in on at to for from by with without as
is are was were be been being it its they them their he she his her we our you your i my me do does did done
have has had having not no nor so such can could should would may might must will shall also very more most
much many some any each every other both either neither which who whom whose what when where why how into onto
over under about above below between through during before after again further once only own same too just all
often usually typically e g i etc like per via besides""".split()
)

_WORD = re.compile(r"[a-z0-9]+(?:[.+#][a-z0-9]+)*")


@lru_cache(maxsize=1)
def snowball_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")  # Snowball, the same stemmer BM25 uses


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return snowball_stemmer().stemWord(word)


_COMPOUND = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b", re.I)


def joined_compounds(text: str) -> list[str]:
    """Hyphenated compounds written as one word ("T-shaped" -> "tshaped", "end-to-end" -> "endtoend"): the
    word splitter keeps only their parts, and a one-letter part ("T") is no word at all."""
    return [c.replace("-", "").lower() for c in _COMPOUND.findall(text)]


_TOKEN = re.compile(r"[A-Za-z0-9](?:[\w.+-]*[A-Za-z0-9])?")


def written_names(text: str) -> list[str]:
    """The words a text writes as names: with a capital after the first letter ("xAI", "FSDP", "DeepSpeed"),
    capitalised past the opening word ("Netflix", "Reflexion"), or letters mixed with digits ("H100s", "gpt2")."""
    tokens = _TOKEN.findall(text)
    return [
        t
        for i, t in enumerate(tokens)
        if len(t) > 1
        and (
            any(c.isupper() for c in t[1:])
            or (i > 0 and t[0].isupper())
            or (any(c.isdigit() for c in t) and any(c.isalpha() for c in t))
        )
    ]


def words_of(text: str) -> list[str]:
    """Lower-case words; hyphenated compounds split ("research-to-engineering" -> three words)."""
    return _WORD.findall(strip_markdown(text).lower())


def unstemmed_content_words(text: str) -> list[str]:
    """The words that are not stop words, as written (lower-case): what a word embedding should see."""
    return [w for w in words_of(text) if w not in STOPWORDS and len(w) > 1]


def content_words(text: str) -> list[str]:
    """Stems of the words that are not stop words."""
    return [stem(w) for w in unstemmed_content_words(text)]


_SHORTHAND = re.compile(r"\b(?:[A-Z]{3,6}|[a-z]{4,6})\b")


def spelled_initials(question: str, phrase: str) -> bool:
    """Whether a word of the question is the initials of consecutive content words of the phrase, as a
    shorthand ("RLHF" or "rlhf" for "reinforcement learning from human feedback"). MiniLM reads an initialism
    it was not trained on as noise, so nothing else relates the two. A lower-case word needs four letters: a
    three-letter word matches some run of a long sentence's initials by chance."""
    # an initialism abbreviates one stretch of words: no run of initials crosses a comma or a bracket
    # ("Research Engineering FAQs, scaling" does not spell "refs")
    stretches = [unstemmed_content_words(part) for part in re.split(r"[,;:()\[\].?!—–]", phrase)]
    words = [w for stretch in stretches for w in stretch]
    initials = ["".join(w[0] for w in stretch) for stretch in stretches]
    return any(
        any(token.lower() in run for run in initials) and token.lower() not in words and token.lower() not in STOPWORDS
        for token in _SHORTHAND.findall(question)
    )


def symbol_names(text: str) -> dict[str, str]:
    """The symbols a text uses, each with its Unicode name ({"✓": "check mark", "○": "white circle"}): people
    call the marks of Table 1's key by such words ("the hollow circle"), while the embedder and the word index
    see only the signs."""
    signs = dict.fromkeys(c for c in text if unicodedata.category(c) == "So" and unicodedata.name(c, ""))
    return {c: unicodedata.name(c).lower() for c in signs}
