"""Table 1 of the paper as a skill x role matrix of involvement levels."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..core.settings import Settings, get_settings
from ..corpus import PAPER_FILE
from .errors import FitModelError
from .lexicon import SKILL_IDS
from .roles import ROLES

# What each symbol of Table 1's key means, as the reasons say it.
SYMBOL_MEANINGS = {
    "✓✓": "core focus",
    "✓": "frequently involved",
    "○/✓": "minimal to frequent",
    "✓/○": "minimal to frequent",
    "○": "minimally involved",
}


@dataclass(frozen=True)
class Cell:
    """One Table 1 cell: the key symbol, the note in parentheses, and the numeric level we give it."""

    symbol: str  # "✓✓", "✓", "○/✓", "○"
    note: str  # "primary", "often delegated", ... ("" if none)
    level: float

    @property
    def text(self) -> str:
        return f"{self.symbol} ({self.note})" if self.note else self.symbol

    @property
    def meaning(self) -> str:
        return SYMBOL_MEANINGS[self.symbol]


@dataclass(frozen=True)
class SkillRow:
    id: str  # short key used by the quiz and the JSON, e.g. "publication"
    label: str  # the row label as printed in Table 1
    cells: dict  # role -> Cell
    start: int  # span of the row in paper.md (the table-row passage has the same span)
    end: int


@dataclass(frozen=True)
class SkillMatrix:
    rows: tuple[SkillRow, ...]
    roles: tuple[str, ...] = ROLES
    key: str = ""  # the Table 1 caption with the symbol key

    @property
    def skill_ids(self) -> list[str]:
        return [r.id for r in self.rows]

    def levels(self) -> np.ndarray:
        """roles x skills matrix of involvement levels."""
        return np.array([[row.cells[role].level for row in self.rows] for role in self.roles], dtype=float)

    def distinctiveness(self) -> np.ndarray:
        """roles x skills: a role's level minus the mean of the four roles for that skill. What all roles
        do alike cannot tell them apart, so only the difference enters the score."""
        levels = self.levels()
        return levels - levels.mean(axis=0, keepdims=True)


_CELL = re.compile(r"^(✓✓|○/✓|✓/○|✓|○)\s*(?:\((?P<note>[^)]*)\))?$")
# Notes that say the cell is stronger or weaker than its symbol alone ("✓ (primary)" vs "✓ (some)").
_NOTE_UP = re.compile(r"\b(?:primary|extensive)\b", re.I)
_NOTE_DOWN = re.compile(r"\b(?:some|basics?|support role|delegated|occasionally|rare|sometimes)\b", re.I)


def skill_id_for(label: str) -> str:
    """The short id of a Table 1 row; a row the paper adds later gets the slug of its label."""
    return SKILL_IDS.get(label) or re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def symbol_levels(settings: Settings) -> dict[str, float]:
    return {
        "✓✓": settings.fit.level_core,
        "✓": settings.fit.level_frequent,
        "○/✓": settings.fit.level_mixed,
        "✓/○": settings.fit.level_mixed,
        "○": settings.fit.level_minimal,
    }


def parse_cell(raw: str, levels: Mapping[str, float], shift: float) -> Cell:
    match = _CELL.match(raw.strip())
    if not match:
        raise FitModelError(f"Table 1 cell {raw!r} does not use the key's symbols (✓✓, ✓, ○/✓, ○)")
    symbol, note = match.group(1), (match.group("note") or "").strip()
    level = levels[symbol]
    if _NOTE_UP.search(note):
        level += shift
    elif _NOTE_DOWN.search(note):
        level -= shift
    return Cell(symbol, note, round(min(1.0, max(0.0, level)), 4))


def parse_table1(paper_text: str, settings: Settings | None = None) -> SkillMatrix:
    """Table 1 of paper.md (the pipe table whose header starts "| Skill/Responsibility") as a matrix."""
    settings = settings or get_settings()
    levels = symbol_levels(settings)
    rows: list[SkillRow] = []
    header: list[str] | None = None
    pos = 0
    for line in paper_text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if header is None:
            if stripped.startswith("| Skill/Responsibility"):
                header = [c.strip() for c in stripped.strip("|").split("|")]
                if tuple(header[1:]) != ROLES:
                    raise FitModelError(f"Table 1 header names {header[1:]}, expected {list(ROLES)}")
            continue
        if not stripped.startswith("|"):
            if rows:
                break  # the table ended
            continue
        if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", stripped):
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        if len(cells) != len(header):
            raise FitModelError(f"Table 1 row {stripped[:60]!r} has {len(cells)} cells, expected {len(header)}")
        lead = len(line) - len(line.lstrip())
        rows.append(
            SkillRow(
                skill_id_for(cells[0]),
                cells[0],
                {role: parse_cell(c, levels, settings.fit.annotation_shift) for role, c in zip(ROLES, cells[1:])},
                start + lead,
                start + len(line),
            )
        )
    if header is None or not rows:
        raise FitModelError(f"{PAPER_FILE}: Table 1 ('| Skill/Responsibility | ...') not found")
    key = re.search(r"^\*\*Table 1:\*\*.*$", paper_text, re.M)
    return SkillMatrix(tuple(rows), ROLES, key.group(0) if key else "")


def lower_first(label: str) -> str:
    """A row label inside a sentence: "Propose novel ML algorithms" -> "propose novel ML algorithms" (an
    acronym keeps its case: "ML engineering" stays)."""
    return label[:1].lower() + label[1:] if label[:2] != label[:2].upper() else label
