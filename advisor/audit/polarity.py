"""Stance of a statement, from closed grammatical classes (not topic words): negation, hedges and
quantifiers that restrict a statement's scope, universal quantifiers that widen it, first-person
subjects, and the future or a modal that makes it an expectation.

Two statements about the same thing (their meaning matched by embeddings first) disagree when one
negates what the other asserts, when their numbers for the same thing differ, or when one restricts to
"some" what the other states for "all". These are the checks a bi-encoder cannot make: MiniLM puts "X
is required" and "X is not required" close together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.text import content_words

# Closed classes. Each is a grammatical category, complete as it stands; none is a list of topics.
NEGATION = frozenset("not no never neither nor none nothing cannot without n't isn't aren't doesn't don't".split())
# scope restrictors: existential quantifiers, frequency adverbs and modals of possibility
HEDGES = frozenset(
    "some several few many often sometimes occasionally usually typically generally may might can could "
    "perhaps possibly likely partly mostly largely".split()
)
UNIVERSALS = frozenset("all every always universally regardless entire whole everyone everything".split())
FIRST_PERSON = frozenset("i we my our me us".split())
# verbs of expectation and belief (with the future "will"): what a source says it expects or thinks
EXPECTATION = frozenset("expect expects expecting expected hope hopes predict predicts will would".split())
BELIEF = frozenset("think thinks believe believes feel understand understanding opinion".split())
# verbs of saying: a paper sentence with one attributes what follows to its speaker
REPORTING = frozenset(
    "says said notes noted note noting describes described explains explained put puts reports reported writes "
    "wrote argues argued according observes observed observing states stated recalls recalled".split()
)
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "half": 0.5,
}

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text.replace("’", "'"))]


@dataclass(frozen=True)
class Stance:
    negated: bool
    hedged: tuple[str, ...]
    universal: tuple[str, ...]
    first_person: bool
    expectation: tuple[str, ...]
    numbers: tuple[tuple[float, str], ...]  # (value, the content word right after it)


def stance(text: str) -> Stance:
    ws = words(text)
    numbers = []
    for i, w in enumerate(ws):
        value = float(w) if re.fullmatch(r"\d+(?:\.\d+)?", w) else NUMBER_WORDS.get(w)
        if value is None:
            continue
        after = next((content_words(x)[0] for x in ws[i + 1 : i + 4] if content_words(x)), "")
        if after:
            numbers.append((value, after))
    return Stance(
        any(w in NEGATION or w.endswith("n't") for w in ws),
        tuple(w for w in ws if w in HEDGES),
        tuple(w for w in ws if w in UNIVERSALS),
        any(w in FIRST_PERSON for w in ws),
        tuple(w for w in ws if w in EXPECTATION),
        tuple(numbers),
    )


def shared_content(a: str, b: str) -> float:
    """Share of the shorter text's content stems that the other text has."""
    sa, sb = set(content_words(a)), set(content_words(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def _negated_heads(ws: list[str]) -> list[tuple[str, set[str]]]:
    """(head, scope) of each negation: the first content word after the negator and the content words
    of the next few. Litotes ("not uncommon") is not a negation."""
    out = []
    for i, w in enumerate(ws):
        if not (w in NEGATION or w.endswith("n't")):
            continue
        following = ws[i + 1 : i + 6]
        if following and following[0].startswith(("un", "in", "dis")) and len(following[0]) > 5:
            continue
        scope = [content_words(x)[0] for x in following if content_words(x)]
        if scope:
            out.append((scope[0], set(scope[:4])))
    return out


def _quantified_heads(ws: list[str], cls: frozenset[str]) -> dict[str, str]:
    """head noun → quantifier, for each quantifier of a class ("all share", "some teams")."""
    out = {}
    for i, w in enumerate(ws):
        if w in cls:
            head = next((content_words(x)[0] for x in ws[i + 1 : i + 3] if content_words(x)), "")
            if head:
                out[head] = w
    return out


def disagreement(claim: str, other: str) -> str:
    """Why two statements already known to be about the same thing disagree, or "" when nothing shows
    it: one negates a proposition the other asserts (the negated head word and most of its scope occur
    on the other side, un-negated), a different number for the same thing, or "all" against "some" on
    the same noun."""
    wa, wb = words(claim), words(other)
    ca, cb = set(content_words(claim)), set(content_words(other))
    for side, ws, theirs, their_words in (("the paper", wa, cb, wb), ("the source", wb, ca, wa)):
        if _negated_heads(their_words):
            continue  # both negate something: which proposition each negates is beyond a word check
        for head, scope in _negated_heads(ws):
            if head in theirs and len(scope & theirs) >= min(2, len(scope)):
                return f"{side} negates “{head}”, which the other asserts"
    a, b = stance(claim), stance(other)
    for value, noun in a.numbers:
        theirs = [v for v, n in b.numbers if n == noun]
        if theirs and value not in theirs:
            return f"the numbers differ ({value:g} vs {theirs[0]:g} {noun})"
    qa_all, qb_all = _quantified_heads(wa, UNIVERSALS), _quantified_heads(wb, UNIVERSALS)
    qa_some, qb_some = _quantified_heads(wa, HEDGES), _quantified_heads(wb, HEDGES)
    for head, q in qa_all.items():
        if head in qb_some:
            return f"the paper says “{q} {head}…” where the other says “{qb_some[head]} {head}…”"
    for head, q in qa_some.items():
        if head in qb_all:
            return f"the paper says “{q} {head}…” where the other says “{qb_all[head]} {head}…”"
    return ""
