"""A profile (and quiz) as per-skill evidence."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .clauses import Clause, split_clauses
from .lexicon import cue_relevance
from .model import FitModel
from .quiz import QUIZ_MAX
from .result import SkillEstimate
from .roles import ROLES


@dataclass
class TextEvidence:
    clauses: list[Clause]
    relevance: np.ndarray  # clauses x skills, 0..1
    # The role-description channel works on "units": each clause and each of its list fragments, so a
    # whole sentence and a telling phrase inside it ("make them work at scale for customers") both count.
    unit_text: list[str] = field(default_factory=list)
    unit_clause: np.ndarray = None  # clause index of each unit
    unit_weight: np.ndarray = None  # how much skill signal the unit carries, 0..1
    unit_role_cosine: np.ndarray = None  # units x roles: cosine to the role's closest sentence
    unit_role_sentence: np.ndarray = None  # units x roles: index of that sentence in model.role_sentences


def dense_relevance(vectors: np.ndarray, model: FitModel) -> np.ndarray:
    """texts x skills, 0..1: cosine to the skill's closest description, mapped linearly from the floor to the
    ceiling, and faded out linearly as the skill falls behind the text's best skill (gone at the window)."""
    s = model.settings
    sims = vectors @ model.skill_vectors.T
    per_skill = np.stack([sims[:, model.skill_owner == k].max(axis=1) for k in range(len(model.skill_ids))], axis=1)
    span = max(s.fit.sim_ceiling - s.fit.sim_floor, 1e-6)
    dense = np.clip((per_skill - s.fit.sim_floor) / span, 0.0, 1.0)
    behind_best = per_skill.max(axis=1, keepdims=True) - per_skill
    return dense * np.clip(1.0 - behind_best / max(s.fit.sim_window, 1e-6), 0.0, 1.0)


# What someone did before counts less than what they say they want next, when they say both: "I was a
# software engineer for six years ... now I mainly want to formulate new algorithms". A CV (all past) keeps
# full weight, since it has nothing forward-looking to outweigh it.
_BACKGROUND = re.compile(
    r"\b(?:i was|i worked|i spent|i used to|used to be|previously|formerly|"
    r"before (?:going|moving|switching|joining|that)|in my (?:last|previous|old) (?:job|role))\b",
    re.I,
)
_ASPIRATION = re.compile(
    r"\b(?:i(?:'d| would)? (?:\w+ )?(?:want|like to|love to|hope|aim|plan)|looking for|"
    r"my goal|ideally|next (?:role|job|step))\b",
    re.I,
)


def clause_weights(clauses: Sequence[Clause]) -> np.ndarray:
    """1 per clause; half for a hedge ("a bit", "occasionally"), half for background next to aspirations."""
    aspiring = any(_ASPIRATION.search(c.sentence) for c in clauses)
    return np.array(
        [
            (0.5 if c.hedged else 1.0)
            * (0.5 if aspiring and _BACKGROUND.search(c.sentence) and not _ASPIRATION.search(c.sentence) else 1.0)
            for c in clauses
        ]
    )


def text_evidence(profile: str, model: FitModel) -> TextEvidence:
    clauses = split_clauses(profile)
    n_roles, n_skills = len(ROLES), len(model.skill_ids)
    if not clauses:
        return TextEvidence(
            clauses=[],
            relevance=np.zeros((0, n_skills)),
            unit_text=[],
            unit_clause=np.zeros(0, dtype=int),
            unit_weight=np.zeros(0),
            unit_role_cosine=np.zeros((0, n_roles)),
            unit_role_sentence=np.zeros((0, n_roles), dtype=int),
        )
    s = model.settings
    fragments = [c.fragments for c in clauses]
    texts = list(dict.fromkeys([c.text for c in clauses] + [f for fs in fragments for f in fs]))
    position = {t: i for i, t in enumerate(texts)}
    vectors = model.encode(texts)  # nearly all of the cost of a fit
    dense = dense_relevance(vectors, model)
    cues = np.array(
        [[cue_relevance(t, sid, s.fit.cue_strong, s.fit.cue_weak) for sid in model.skill_ids] for t in texts]
    )
    # A clause's skills come from its fragments (sharp) plus cue phrases anywhere in it.
    relevance = np.zeros((len(clauses), n_skills))
    weights = clause_weights(clauses)
    for i, clause in enumerate(clauses):
        relevance[i] = np.maximum(dense[[position[f] for f in fragments[i]]].max(axis=0), cues[position[clause.text]])
        relevance[i] *= weights[i]
    units = [(i, t) for i, c in enumerate(clauses) for t in dict.fromkeys([c.text, *fragments[i]])]
    rows = [position[t] for _, t in units]
    unit_clause = np.array([i for i, _ in units])
    hedge = np.array([weights[i] for i, _ in units])
    unit_weight = np.maximum(dense[rows], cues[rows]).max(axis=1) * hedge
    sims = vectors[rows] @ model.role_vectors.T  # units x role sentences
    owner = np.array([ROLES.index(r.role) for r in model.role_sentences])
    cosine = np.zeros((len(units), n_roles))
    best = np.zeros((len(units), n_roles), dtype=int)
    for j in range(n_roles):
        idx = np.flatnonzero(owner == j)
        best[:, j] = idx[sims[:, idx].argmax(axis=1)]
        cosine[:, j] = sims[:, idx].max(axis=1)
    return TextEvidence(
        clauses=clauses,
        relevance=relevance,
        unit_text=[t for _, t in units],
        unit_clause=unit_clause,
        unit_weight=unit_weight,
        unit_role_cosine=cosine,
        unit_role_sentence=best,
    )


def skill_estimates(ev: TextEvidence, quiz: Mapping[str, int], model: FitModel) -> list[SkillEstimate]:
    """Per skill: positive minus negative relevance mass over the clauses, squashed to -1..1. Repeating a
    skill strengthens it with diminishing returns; saying both "love" and "hate" about it cancels."""
    estimates = []
    sign = np.array([-1.0 if c.negative else 1.0 for c in ev.clauses])
    for k, row in enumerate(model.matrix.rows):
        if row.id in quiz:
            level = quiz[row.id] / QUIZ_MAX
            estimates.append(SkillEstimate(row.id, row.label, level, 2 * level - 1, 1.0, "quiz", quiz=quiz[row.id]))
            continue
        column = ev.relevance[:, k] if len(ev.clauses) else np.zeros(0)
        if not column.size or column.max() <= 0:
            estimates.append(SkillEstimate(row.id, row.label, None, 0.0, 0.0, "none"))
            continue
        signed = float((column * sign).sum())
        evidence = math.tanh(signed)
        confidence = math.tanh(float(column.sum()))
        driver = int(np.argmax(column * (np.sign(signed) * sign if signed else 1.0)))
        clause = ev.clauses[driver]
        estimates.append(
            SkillEstimate(
                row.id,
                row.label,
                0.5 + 0.5 * evidence,
                evidence,
                confidence,
                "text",
                clause.sentence.strip(),
                (clause.start, clause.end),
            )
        )
    return estimates
