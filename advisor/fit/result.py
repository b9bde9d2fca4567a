"""What a fit returns: per-skill estimates, cited reasons, per-role scores, the whole RoleFit."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.types import Passage
from .matrix import Cell


@dataclass(frozen=True)
class SkillEstimate:
    skill: str
    label: str
    level: float | None  # 0 (avoid / none) .. 0.5 (neutral) .. 1 (core); None = nothing known
    evidence: float  # signed evidence in -1..1 used by the score (0 = nothing known)
    confidence: float  # 0..1, how clearly the profile or quiz speaks to this skill
    source: str  # "text", "quiz" or "none"
    sentence: str | None = None  # the profile sentence that drove the level
    span: tuple[int, int] | None = None  # its offsets in the profile text
    quiz: int | None = None

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "level": None if self.level is None else round(self.level, 3),
            "evidence": round(self.evidence, 3),
            "confidence": round(self.confidence, 3),
            "source": self.source,
            "sentence": self.sentence,
            "span": list(self.span) if self.span else None,
            "quiz": self.quiz,
        }


@dataclass(frozen=True)
class Reason:
    skill: str
    label: str
    effect: str  # "match", "mismatch" or "unstated" (core to the role, not mentioned by the person)
    contribution: float  # this skill's term in the Table 1 channel
    person_level: float | None
    role_cell: Cell
    text: str
    sentence: str | None
    citations: tuple[Passage, ...]

    def to_dict(self) -> dict:
        return {
            "skill": self.skill,
            "label": self.label,
            "effect": self.effect,
            "contribution": round(self.contribution, 4),
            "person_level": None if self.person_level is None else round(self.person_level, 3),
            "role_level": self.role_cell.level,
            "cell": self.role_cell.text,
            "text": self.text,
            "sentence": self.sentence,
            "citations": [p.to_dict() for p in self.citations],
        }


@dataclass(frozen=True)
class RoleScore:
    role: str
    score: float  # share of the fit among the four roles (softmax of raw), sums to 1
    raw: float
    table_score: float  # Table 1 channel
    definition_score: float  # Section 4/6 wording channel
    reasons: tuple[Reason, ...]
    citations: tuple[Passage, ...]  # the role's Section 4 definition (+ the closest sentence's passage)
    closest: dict | None  # {"you": clause, "paper": role sentence, "passage_id", "similarity"}

    def to_dict(self) -> dict:
        return {
            "role": self.role,
            "score": round(self.score, 4),
            "raw": round(self.raw, 4),
            "table_score": round(self.table_score, 4),
            "definition_score": round(self.definition_score, 4),
            "reasons": [r.to_dict() for r in self.reasons],
            "citations": [p.to_dict() for p in self.citations],
            "closest": self.closest,
        }


@dataclass(frozen=True)
class RoleFit:
    ranking: tuple[RoleScore, ...]  # empty when needs_more
    skills: tuple[SkillEstimate, ...]
    confidence: float  # 0..1
    confidence_label: str  # "high", "medium", "low" or "none"
    margin: float | None  # top share minus runner-up share
    close: bool
    follow_up: dict | None
    needs_more: bool
    message: str
    archetypes: tuple[dict, ...]
    quiz: tuple[dict, ...]  # the quiz offered (one question per Table 1 skill)
    notes: tuple[str, ...] = ()
    evidence: float = 0.0
    matrix: dict = field(default_factory=dict, compare=False)  # Table 1 levels, role -> skill -> level

    @property
    def top_role(self) -> str | None:
        return self.ranking[0].role if self.ranking else None

    def to_dict(self) -> dict:
        return {
            "ranking": [r.to_dict() for r in self.ranking],
            "skills": {s.skill: s.to_dict() for s in self.skills},
            "top_role": self.top_role,
            "confidence": round(self.confidence, 3),
            "confidence_label": self.confidence_label,
            "margin": None if self.margin is None else round(self.margin, 4),
            "close": self.close,
            "follow_up": self.follow_up,
            "needs_more": self.needs_more,
            "message": self.message,
            "archetypes": list(self.archetypes),
            "quiz": list(self.quiz),
            "notes": list(self.notes),
            "evidence": round(self.evidence, 3),
            "table1": self.matrix,
        }
