"""Word tokens of quotations and source texts, with their offsets, editorial marks and alignment keys."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.text import stem
from ..core.types import VERBATIM_KINDS, Passage, PassageKind


def norm(text: str) -> str:
    """Lower-case letters and digits only: "e.g." and "eg." both become "eg"."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def alignment_stem(norm_word: str) -> str:
    """The stem of a normalised word; a word with digits ("gpt4", "1990s") stays as it is."""
    return stem(norm_word) if norm_word.isalpha() else norm_word


@dataclass(frozen=True)
class Token:
    text: str
    norm: str  # see norm()
    start: int
    end: int
    kind: str = "word"  # word | bracket (an editorial "[and]") | ellipsis
    base: str = ""  # for "design[ing]": the norm without the bracketed part ("design")

    @property
    def key(self) -> str:
        """What aligns: the stem, so "reasoning" lines up with "reason" (the diff still shows it)."""
        return alignment_stem(self.norm) if self.kind != "ellipsis" else ""


_TOKEN = re.compile(
    r"(?P<ellipsis>\.(?:\s?\.){2}|…)"
    r"|(?P<bracket>\[[^\[\]\d][^\[\]]{0,40}\])"
    r"|(?P<word>\w+(?:[.'’\-/+&]\w+)*(?:\[[^\[\]]{1,12}\]\w*)*)"
)


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
                tokens.append(Token(m.group(0), norm(m.group(0)), s, e, "bracket"))
        else:
            word = m.group(0)
            if "[" in word:
                bare = re.sub(r"\[[^\]]*\]", "", word)
                if editorial:
                    tokens.append(Token(word, norm(re.sub(r"[\[\]]", "", word)), s, e, "word", norm(bare)))
                else:
                    tokens.append(Token(bare, norm(bare), s, e))
            else:
                tokens.append(Token(word, norm(word), s, e))
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
class SourceWords:
    """The words of one source, tokenised across its passages of the given kinds (by default the
    verbatim ones: abstract and excerpts)."""

    ref: int
    file: str
    text: str  # the whole file
    tokens: tuple[Token, ...]
    passage_of: tuple[str, ...]  # passage id of each token


def source_words(
    ref: int, file: str, file_text: str, passages: Sequence[Passage], kinds: tuple[PassageKind, ...] = VERBATIM_KINDS
) -> SourceWords:
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
