"""A profile as clauses, each with its polarity (negated, hedged) and its list items; and whether it is English."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.text import sentence_spans
from .lexicon import ENGLISH_WORDS, FILLER_WORDS


@dataclass(frozen=True)
class Clause:
    """A stretch of the profile that states one attitude: positive (wants/has) or negative (avoids)."""

    text: str
    sentence: str  # the whole sentence it came from (reported as the evidence)
    start: int  # offsets of the sentence in the profile text
    end: int
    negative: bool = False
    hedged: bool = False  # "a bit", "occasionally", "I don't mind": counts half

    @property
    def fragments(self) -> list[str]:
        return list_fragments(self.text)


# A negator opens a negative scope (see _polarised): "I want X without Y" is positive about X and negative
# about Y; "I don't want to publish" is negative throughout.
_NEGATOR = re.compile(
    r"\b(?:not|no|zero|never|none|nor|neither|don'?t|doesn'?t|didn'?t|won'?t|wouldn'?t|can'?t|cannot|isn'?t|"
    r"aren'?t|hate[sd]?|hating|dislike[sd]?|avoid(?:s|ing)?|without|tired of|bored|bores?|boring|"
    r"fed up|dread(?:s|ing)?|uninterested|allergic|rather than|instead of|as opposed to|less|"
    # handing work to someone else is not wanting to do it: "I'd hand the implementation off to engineers"
    r"hand(?:s|ing|ed)? (?:\w+ ){0,3}off|delegat(?:e|es|ing)|offload(?:s|ing)?|outsourc(?:e|es|ing)|"
    r"leav(?:e|es|ing) (?:\w+ ){0,3}to (?:others|someone else|engineers|the \w+ team)|"
    # a verdict after the thing judged: "shipping product features sounds dull to me"
    r"dull|tedious|draining|unappealing|uninteresting|unexciting|miserable|soul-crushing)\b",
    re.I,
)
# Phrases that contain a negator but are not negative.
_NOT_NEGATION = re.compile(
    r"\b(?:not only|no matter|no doubt|can'?t wait|never mind|"
    r"(?:don'?t|do not|wouldn'?t|would not) mind)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:a bit|a little|somewhat|occasionally|sometimes|some|okay with|ok with|fine with|"
    r"now and then|from time to time|once in a while|(?:the |an )?occasional|"
    r"(?:don'?t|do not|wouldn'?t|would not) mind|if needed|when needed)\b",
    re.I,
)
# Where one attitude ends and another may start.
_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:|\s-\s|\s–\s|\s—\s|\bbut\b|\bhowever\b|\bwhereas\b|\balthough\b|\bthough\b|\byet\b|"
    r",\s*(?=(?:and |so |while )?(?:I|I'm|I'd|I've|I'll|my|me|we)\b))\s*",
    re.I,
)


_LIST_SEPARATOR = re.compile(r",\s*|\s+(?:and|or|as well as|plus|along with)\s+", re.I)


def list_fragments(clause: str) -> list[str]:
    """A clause cut at list commas and "and"/"or" ("design experiments, train models on large datasets and
    deploy them"), each piece with at least two content words: a short piece matches one skill sharply,
    where the whole clause matches several faintly."""
    pieces = [p.strip() for p in _LIST_SEPARATOR.split(clause) if p and p.strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and (len(_content_words(merged[-1])) < 2 or len(_content_words(piece)) < 2):
            merged[-1] = f"{merged[-1]}, {piece}"
        else:
            merged.append(piece)
    return merged or [clause]


def normalise_apostrophes(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def profile_sentences(profile: str) -> list[tuple[int, int]]:
    """Sentence spans of a profile; every line is its own unit too (CVs are lists, not prose)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in profile.split("\n"):
        start, pos = pos, pos + len(line) + 1
        body = line.strip()
        if not body:
            continue
        bullet = re.match(r"^\s*(?:[-*•·▪]|\d+[.)])\s+", line)
        offset = start + (bullet.end() if bullet else len(line) - len(line.lstrip()))
        spans.extend(sentence_spans(profile[offset : start + len(line)], offset=offset, typed=True))
    return spans


def split_clauses(profile: str) -> list[Clause]:
    profile = normalise_apostrophes(profile)
    clauses: list[Clause] = []
    for s, e in profile_sentences(profile):
        sentence = profile[s:e]
        label = _NEGATIVE_LABEL.match(sentence)
        if label:  # "Dislikes: on-call rotations, latency budgets": everything after the label is disliked
            body = sentence[label.end() :]
            parts = [p for p in _CLAUSE_BREAK.split(body) if p and re.search(r"[^\W\d_]", p)]
            clauses.extend(Clause(p.strip(), sentence, s, e, True, bool(_HEDGE.search(p))) for p in parts)
            continue
        for part in _CLAUSE_BREAK.split(sentence):
            if part and len(part.split()) >= 1 and re.search(r"[^\W\d_]", part):
                clauses.extend(_polarised(part.strip(), sentence, s, e))
    return clauses


# A list introduced by a negative label ("Dislikes:", "Not for me:", "Avoid:") is negative as a whole.
_NEGATIVE_LABEL = re.compile(
    r"\s*(?:dislikes?|don'?t like|do not like|not for me|not interested in|hate|hates|avoid|"
    r"cons|less of|turn-?offs?|deal-?breakers?|no thanks)\s*[:\-–—]\s*",
    re.I,
)


def _polarised(part: str, sentence: str, s: int, e: int) -> list[Clause]:
    """Split a clause where its negative scope starts and ends: words before the negator stay positive,
    the negated stretch runs through coordinated items ("don't want to publish papers or invent
    algorithms") and stops where a new predicate starts ("without crashing, and who turns sketches into
    code"). "I'd rather X than Y" negates Y at half weight (a preference, not an aversion). A negator with
    nothing after it ("on-call is not for me", "papers bore me") negates the whole clause."""
    masked = _NOT_NEGATION.sub(lambda m: "_" * len(m.group(0)), part)
    hedged = bool(_HEDGE.search(part))
    comparison = _PREFERENCE.search(masked)
    neg = _NEGATOR.search(masked)
    if comparison and (not neg or comparison.start("than") <= neg.start()):
        cut, soft = comparison.start("than"), True
    elif neg:
        cut, soft = neg.start(), bool(re.match(r"(?i)rather than|instead of|as opposed to|less", masked[neg.start() :]))
    else:
        return [Clause(part, sentence, s, e, False, hedged)]
    before, after = part[:cut].strip(" ,"), part[cut:]
    if not _content_words(after):
        return [Clause(part, sentence, s, e, True, hedged)]
    end = _negation_scope_end(after)
    negated, rest = after[:end].strip(" ,"), _LIST_SEPARATOR.sub(" ", after[end:], count=1).strip(" ,")
    out = []
    if len(_content_words(before)) >= 2:
        out.append(Clause(before, sentence, s, e, False, bool(_HEDGE.search(before))))
    # "not pure research", "not only papers": what is rejected is exclusivity, not the thing itself.
    soft = soft or bool(_EXCLUSIVE.search(negated))
    out.append(Clause(negated, sentence, s, e, True, soft or bool(_HEDGE.search(negated))))
    if _content_words(rest):
        out.extend(_polarised(rest, sentence, s, e))
    return out


_NEW_PREDICATE = re.compile(r"(?:(?:and|but|or)\s+)?(?:who|which|that|i|i'm|i'd|i've|we|my|then|also|so|yet)\b", re.I)


# "no"/"zero" as a determiner negates its noun phrase only: "no phd, 6 yrs backend + distributed systems"
# has a PhD negated and the rest stated; a comma or "+" ends it ("no publishing or theory" still coordinates).
_DETERMINER_NEGATION = re.compile(r"(?i)(?:no|zero)\s+[^\W\d_][\w.'-]*(?:\s+[^\W\d_][\w.'-]*){0,3}?\s*(?=[,+.;]|$)")


def _negation_scope_end(negated: str) -> int:
    phrase = _DETERMINER_NEGATION.match(negated)
    if phrase:
        return phrase.end()
    for boundary in _LIST_SEPARATOR.finditer(negated):
        if _NEW_PREDICATE.match(negated[boundary.end() :]):
            return boundary.start()
    return len(negated)


_EXCLUSIVE = re.compile(r"\b(?:pure(?:ly)?|only|just|exclusively|solely|full[- ]time)\b", re.I)
_PREFERENCE = re.compile(r"\b(?:rather|prefer(?:s|red)?|more)\b.*?\b(?P<than>than)\b", re.I)


def _content_words(text: str) -> list[str]:
    """The words of a stretch that can say something about a skill (lexicon.toml's filler words dropped)."""
    return [w for w in re.findall(r"[^\W\d_]+(?:'[a-z]+)?", text.lower()) if w not in FILLER_WORDS and len(w) > 1]


def english_share(text: str) -> float:
    """Share of the words that are common English words; near 0 for another language."""
    words = re.findall(r"[^\W\d_]+(?:'[a-z]+)?", text.lower())
    if not words:
        return 0.0
    return sum(1 for w in words if w in ENGLISH_WORDS) / len(words)


def looks_english(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text)
    if len(words) < 4:
        return all(w.isascii() for w in words)
    non_ascii = sum(1 for w in words if not w.isascii()) / len(words)
    return english_share(text) >= 0.12 and non_ascii < 0.25


# A doctorate, and the degrees below it: what a role's definition requires and what a person holds.
_DOCTORATE = re.compile(r"\bph\.?\s?d(?:s\b|\b)|\bdoctora(?:te|l)\b|\bpostdoc", re.I)
_LOWER_DEGREE = re.compile(r"\bmaster'?s\b|\bm\.?sc\b|\bbachelor'?s\b|\bb\.?sc\b|\bundergrad", re.I)


def names_doctorate(text: str) -> float:
    """doctorate_stance of a text: "no phd, 6 yrs backend" -> -1; "Typical requirements include ... (usually a
    Ph.D.)" -> +1."""
    return doctorate_stance(split_clauses(text))


def doctorate_stance(clauses: Sequence[Clause]) -> float:
    """+1 when the clauses state a doctorate ("PhD in ML", "usually a Ph.D."), -1 when they negate one ("no phd",
    "do not require a Ph.D.") or name only a lower degree ("masters only"), 0 when they name no degree."""
    if any(_DOCTORATE.search(c.text) and not c.negative for c in clauses):
        return 1.0
    if any(_DOCTORATE.search(c.text) or _LOWER_DEGREE.search(c.text) for c in clauses):
        return -1.0
    return 0.0
