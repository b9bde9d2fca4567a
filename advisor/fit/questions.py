"""Is a chat message a personal role-fit question?"""

from __future__ import annotations

import re

from .clauses import normalise_apostrophes

_FIT_QUESTION = [
    re.compile(p, re.I)
    for p in (
        r"\b(?:which|what) (?:\w+ ){0,3}(?:roles?|jobs?|careers?|paths?|tracks?|titles?|positions?|one)\b"
        r"(?: \w+){0,5} (?:fits?|suits?|matches|is (?:right|best|better|good) for|should i)\b",
        r"\b(?:fits?|suits?|match(?:es)?) (?:me|my|someone|a person)\b",
        r"\b(?:should|could|would|can) i (?:\w+ )?(?:be|become|go for|pursue|apply|switch|move|aim|choose|pick|"
        r"try|transition|consider)\b.*\b(?:role|scientist|engineer|research|career|job|track|path)",
        r"\bam i (?:\w+ ){0,2}(?:fit|suited|match|cut out|more (?:of )?(?:a|an)|better as|a better)\b",
        r"\b(?:right|best|good|better) (?:role|fit|career|job|path|track) for me\b",
        r"\bmy (?:profile|cv|resume|résumé|background|skills?|experience)\b.*\b(?:role|fit|suit|scientist|engineer)",
        r"\brole[- ]fit\b|\bfit quiz\b|\bcareer (?:advice|fit) for me\b",
        r"\b(?:i am|i'm|im) (?:\w+ ){0,8}(?:which|what) role\b",
    )
]


def is_fit_question(text: str) -> bool:
    """True for a personal role-fit question ("which role fits me?", "should I be an applied scientist?"),
    False for questions about the roles themselves ("do research engineers need a PhD?")."""
    text = normalise_apostrophes(text or "")
    return any(p.search(text) for p in _FIT_QUESTION)
