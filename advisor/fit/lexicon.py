"""The role-fit vocabulary: each Table 1 skill's labels, descriptions and cue phrases, and the word lists for
reading a profile. The data is lexicon.toml (package data), read once at import; its comments explain it."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

_DATA = tomllib.loads(resources.files(__package__).joinpath("lexicon.toml").read_text(encoding="utf-8"))
_SKILLS: dict[str, dict] = _DATA["skills"]

# Table 1 row label -> the short skill id the quiz and the JSON use.
SKILL_IDS: dict[str, str] = {entry["table_label"]: sid for sid, entry in _SKILLS.items()}
CHART_LABELS: dict[str, str] = {sid: entry["chart_label"] for sid, entry in _SKILLS.items()}
SKILL_PHRASES: dict[str, list[str]] = {sid: list(entry["phrases"]) for sid, entry in _SKILLS.items()}
# (pattern, strong), the strong cues first.
SKILL_CUES: dict[str, list[tuple[str, bool]]] = {
    sid: [(p, True) for p in entry["strong"]] + [(p, False) for p in entry["weak"]] for sid, entry in _SKILLS.items()
}
FILLER_WORDS: frozenset[str] = frozenset(_DATA["words"]["filler"].split())
ENGLISH_WORDS: frozenset[str] = frozenset(_DATA["words"]["english"].split())

_COMPILED_CUES = {sid: [(re.compile(p, re.I), strong) for p, strong in cues] for sid, cues in SKILL_CUES.items()}


def cue_relevance(clause: str, skill_id: str, strong: float, weak: float) -> float:
    """The relevance a clause's cue phrases give it for a skill: `strong`, `weak` or 0."""
    best = 0.0
    for pattern, is_strong in _COMPILED_CUES.get(skill_id, ()):
        if pattern.search(clause):
            best = max(best, strong if is_strong else weak)
            if is_strong:
                break
    return best
