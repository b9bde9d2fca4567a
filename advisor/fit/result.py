"""What a fit returns: per-skill estimates, cited reasons, per-role scores, the whole RoleFit."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.types import Passage, Record, rounded
from .matrix import Cell

_SKIP = {"skip": True}


@dataclass(frozen=True)
class SkillEstimate(Record):
    skill: str = field(metadata=_SKIP)  # the key of this estimate in RoleFit's "skills" object
    label: str
    level: float | None = rounded(3)  # 0 (avoid / none) .. 0.5 (neutral) .. 1 (core); None = nothing known
    evidence: float = rounded(3)  # signed evidence in -1..1 used by the score (0 = nothing known)
    confidence: float = rounded(3)  # 0..1, how clearly the profile or quiz speaks to this skill
    source: str  # "text", "quiz" or "none"
    sentence: str | None = None  # the profile sentence that drove the level
    span: tuple[int, int] | None = None  # its offsets in the profile text
    quiz: int | None = None


@dataclass(frozen=True)
class Reason(Record):
    skill: str
    label: str
    effect: str  # "match", "mismatch" or "unstated" (core to the role, not mentioned by the person)
    contribution: float = rounded(4)  # this skill's term in the Table 1 channel
    person_level: float | None = rounded(3)
    role_cell: Cell = field(metadata=_SKIP)  # written as "role_level" and "cell"
    text: str
    sentence: str | None
    citations: tuple[Passage, ...]

    def to_dict(self) -> dict:
        return {**super().to_dict(), "role_level": self.role_cell.level, "cell": self.role_cell.text}


@dataclass(frozen=True)
class RoleScore(Record):
    role: str
    score: float = rounded(4)  # share of the fit among the four roles (softmax of raw), sums to 1
    raw: float = rounded(4)
    table_score: float = rounded(4)  # Table 1 channel
    definition_score: float = rounded(4)  # Section 4/6 wording channel
    reasons: tuple[Reason, ...]
    citations: tuple[Passage, ...]  # the role's Section 4 definition (+ the closest sentence's passage)
    closest: dict | None  # {"you": clause, "paper": role sentence, "passage_id", "similarity"}


@dataclass(frozen=True)
class RoleFit(Record):
    ranking: tuple[RoleScore, ...]  # empty when needs_more
    skills: tuple[SkillEstimate, ...] = field(metadata=_SKIP)  # written as {skill id: estimate}
    confidence: float = rounded(3)  # 0..1
    confidence_label: str  # "high", "medium", "low" or "none"
    margin: float | None = rounded(4)  # top share minus runner-up share
    close: bool
    follow_up: dict | None
    needs_more: bool
    message: str
    archetypes: tuple[dict, ...]
    quiz: tuple[dict, ...]  # the quiz offered (one question per Table 1 skill)
    notes: tuple[str, ...] = ()
    evidence: float = rounded(3, default=0.0)
    # Table 1 levels, role -> skill -> level; written as "table1"
    matrix: dict = field(default_factory=dict, compare=False, metadata=_SKIP)

    @property
    def top_role(self) -> str | None:
        return self.ranking[0].role if self.ranking else None

    def to_dict(self) -> dict:
        return {
            **super().to_dict(),
            "skills": {s.skill: s.to_dict() for s in self.skills},
            "top_role": self.top_role,
            "table1": self.matrix,
        }
