"""The paper's four roles: their order in Table 1, their place on the continuum, how the text names them."""

from __future__ import annotations

import re

from ..corpus import TABLE_ROLES

ROLES: tuple[str, ...] = TABLE_ROLES
# Fig. 1: "a spectrum — from novel method creation to production integration": RS, RE, AS, MLE.
CONTINUUM_POSITION = {
    "Research Scientist": 0.0,
    "Research Engineer": 1 / 3,
    "Applied Scientist": 2 / 3,
    "ML Engineer": 1.0,
}
# The abbreviations, as the text writes them ("MLEs"; only in capitals: "AS" but not "as"). A passage search
# spells them out: the paper mostly writes the name, and MiniLM knows "MLE" only as maximum likelihood.
# (Sentence ranking keeps the question's own form: "REs implement new algorithms" answers "how do REs spend
# their time?")
ROLE_ABBREVIATIONS = {
    "Research Scientist": re.compile(r"\bRS(s?)\b"),
    "Research Engineer": re.compile(r"\bRE(s?)\b"),
    "Applied Scientist": re.compile(r"\bAS(s?)\b"),
    "ML Engineer": re.compile(r"\bMLE(s?)\b"),
}
_ROLE_NAMES = {
    "Research Scientist": r"research scientists?",
    "Research Engineer": r"research engineers?",
    "Applied Scientist": r"applied (?:scientists?|research(?:ers?)?)",
    "ML Engineer": r"(?:machine learning|(?:product-oriented |data/)?ML(?:/platform)?) engineers?",
}
# How the paper names each role in running text: its name in any case, or its abbreviation.
ROLE_MENTIONS = {
    role: re.compile(rf"(?i:\b{name}\b)|{ROLE_ABBREVIATIONS[role].pattern}") for role, name in _ROLE_NAMES.items()
}


def spelled_out_roles(text: str) -> str:
    """The text with each role abbreviation replaced by the role's name ("do REs publish?" -> "do Research
    Engineers publish?")."""
    for role, pattern in ROLE_ABBREVIATIONS.items():
        text = pattern.sub(lambda m, role=role: role + m.group(1), text)
    return text
