"""Word-level diff of a quotation against the source words it lines up with (difflib over stems), each
difference classified: meaning-preserving (an abbreviation, "e.g." for "for example", singular/plural, a
bracketed gloss) or not (an insertion, an omission, a changed word, a bracketed substitution)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.text import stem
from ..core.types import Record
from .words import Token, norm


def _omit_empty(default):
    return field(default=default, metadata={"omit_empty": True})


@dataclass(frozen=True)
class DiffOp(Record):
    """One step of a quotation-vs-source diff. op: equal | inserted (words the paper adds) |
    dropped (source words the paper leaves out, no ellipsis) | changed | bracketed (an edit marked
    with brackets) | ellipsis (source text the paper's ellipsis hides)."""

    op: str
    paper: str = _omit_empty("")
    source: str = _omit_empty("")
    minor: bool = _omit_empty(False)  # meaning-preserving: an abbreviation, "e.g." for "for example", a gloss
    note: str = _omit_empty("")


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


_SYNONYMS = [({"eg", "forexample", "forinstance"}), ({"ie", "thatis"})]


def is_abbreviation(short: Sequence[str], long: Sequence[str]) -> bool:
    """'ML' for 'machine learning', 'SWE' for 'software engineering': one upper-case token whose
    letters come from the other side's words in order, each word starting with its first letter."""
    words = [norm(w) for w in long if norm(w)]
    if len(short) != 1 or len(words) < 2 or not short[0].isupper() and not short[0].islower():
        return False
    return _acronym_of(norm(short[0]), words)


def _acronym_of(acronym: str, words: Sequence[str]) -> bool:
    if not words:
        return not acronym
    if not acronym:
        return False
    head = words[0]
    if acronym[0] != head[0]:
        return False
    # each word gives its first letter and maybe a few more, in order ("SWE": SoftWare Engineering)
    return any(
        _is_subsequence(acronym[1:k], head[1:]) and _acronym_of(acronym[k:], words[1:])
        for k in range(1, len(acronym) + 1)
    )


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
        note = "changes tense or number" if form or _shares_stem(paper, source) else "replaces the source's words"
        return DiffOp("bracketed", paper_text, source_text, False, note)
    if is_abbreviation([t.text for t in paper], [t.text for t in source]) or is_abbreviation(
        [t.text for t in source], [t.text for t in paper]
    ):
        return DiffOp("changed", paper_text, source_text, True, "abbreviation")
    if _is_synonym(p_norm, s_norm):
        return DiffOp("changed", paper_text, source_text, True, "same meaning")
    if len(p_norm) == len(s_norm) and all(_singular(a) == _singular(b) for a, b in zip(p_norm, s_norm)):
        return DiffOp("changed", paper_text, source_text, True, "singular/plural")
    return DiffOp("changed", paper_text, source_text)


def _singular(norm_word: str) -> str:
    return re.sub(r"e?s$", "", norm_word)


def _shares_stem(paper: Sequence[Token], source: Sequence[Token]) -> bool:
    stems_p = {stem(norm(re.sub(r"\[[^\]]*\]", "", t.text))) for t in paper}
    stems_s = {stem(norm(t.text)) for t in source}
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
        if norm(p.text) == norm(s.text) and p.kind == "word" and not p.base:
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
        if norm(re.sub(r"[\[\]]", "", paper.text)) == norm(source.text):
            return DiffOp("bracketed", paper.text, source.text, True, "brackets mark the source's own word")
        return DiffOp("bracketed", paper.text, source.text, False, "changes tense or number")
    if paper.norm == source.norm:  # a merged phrase: "e.g." for "for example"
        return DiffOp("changed", paper.text, source.text, True, "same meaning")
    if _singular(norm(paper.text)) == _singular(norm(source.text)):
        return DiffOp("changed", paper.text, source.text, True, "singular/plural")
    return DiffOp("changed", paper.text, source.text, False, "word form")


def _dropped(source: Sequence[Token], prev: Token | None, nxt: Token | None) -> DiffOp:
    """Source words the quotation leaves out. Dropping the expansion of an acronym the quotation
    keeps ("software engineering (SWE)" quoted as "SWE") does not change the meaning."""
    text = " ".join(t.text for t in source)
    neighbours = [t.text for t in (prev, nxt) if t is not None]
    if any(is_abbreviation([n], [t.text for t in source]) for n in neighbours):
        return DiffOp("dropped", "", text, True, "expansion of an abbreviation the quotation keeps")
    return DiffOp("dropped", "", text)
