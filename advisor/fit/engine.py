"""fit(): a profile and/or quiz in, a ranked, explained and cited RoleFit out."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.settings import Settings, get_settings
from .clauses import doctorate_stance, looks_english
from .evidence import TextEvidence, skill_estimates, text_evidence
from .model import FitModel, get_fit_model
from .profile_files import read_profile_bytes
from .quiz import normalise_quiz, quiz_questions
from .result import RoleFit, RoleScore, SkillEstimate
from .roles import ROLES
from .scoring import (
    archetype_matches,
    build_reasons,
    closest_definition,
    confidence_label,
    confidence_of,
    definition_channel,
    follow_up_question,
    softmax,
    table_channel,
)

NEEDS_MORE = (
    "Tell me more about yourself: what do you enjoy or want to do more of (inventing methods, "
    "publishing, building training infrastructure, shipping models to users...)? "
    "Or answer the short quiz (one 0-4 answer per skill from the paper's Table 1)."
)
NOT_ENGLISH = (
    "The profile does not look like English; the skill model reads English best, so this "
    "estimate is low-confidence. The quiz works in any language."
)


def fit(
    profile: str | None = None,
    quiz: Mapping[str, object] | None = None,
    *,
    settings: Settings | None = None,
    model: FitModel | None = None,
) -> RoleFit:
    """Rank the four roles for a free-text profile and/or quiz answers (skill -> 0..4, overriding text)."""
    model = model or get_fit_model(settings)
    limit = model.settings.fit.max_profile_chars
    notes: list[str] = []
    text = profile or ""  # not stripped: skill spans are offsets into the profile as given
    if not text.strip():
        text = ""
    if len(text) > limit:
        text = text[:limit]
        notes.append(f"Only the first {limit} characters of the profile were read.")
    answers = normalise_quiz(quiz, model)
    english = looks_english(text) if text else True
    if not english:
        notes.append(NOT_ENGLISH)
    ev = text_evidence(text, model)
    skills = skill_estimates(ev, answers, model)
    evidence = np.array([s.evidence for s in skills])
    total = float(np.abs(evidence).sum())
    common = {
        "skills": tuple(skills),
        "quiz": quiz_questions(model),
        "notes": tuple(notes),
        "evidence": total,
        "matrix": {role: {row.id: row.cells[role].level for row in model.matrix.rows} for role in ROLES},
    }
    if total < model.settings.fit.min_evidence:
        return RoleFit(**_needs_more(english), **common)
    # With every skill answered in the quiz the person has spoken for themselves; the text's wording stays out.
    use_wording = len(answers) < len(skills)
    return RoleFit(**_ranked(ev, skills, evidence, total, use_wording, english, model), **common)


def _needs_more(english: bool) -> dict:
    """Too little evidence to rank: ask for more (and say why a non-English profile gave so little)."""
    return {
        "ranking": (),
        "confidence": 0.0,
        "confidence_label": "none",
        "margin": None,
        "close": False,
        "follow_up": None,
        "needs_more": True,
        "message": NEEDS_MORE if english else f"{NOT_ENGLISH} {NEEDS_MORE}",
        "archetypes": (),
    }


def _ranked(
    ev: TextEvidence,
    skills: list[SkillEstimate],
    evidence: np.ndarray,
    total: float,
    use_wording: bool,
    english: bool,
    model: FitModel,
) -> dict:
    """The four roles ranked by their share of the fit, with the margin, confidence, follow-up question and
    the organisations that hire for such a profile."""
    knobs = model.settings.fit
    table, contributions = table_channel(evidence, model)
    definition = definition_channel(ev) if use_wording else np.zeros(len(ROLES))
    # the degree the person names against what each role's definition asks: "no phd" away from the roles that
    # usually want one, toward the one the paper says needs none
    degree = doctorate_stance(ev.clauses) * model.doctorate if use_wording else np.zeros(len(ROLES))
    raw = table + knobs.definition_weight * definition + knobs.degree_weight * degree
    shares = softmax(raw, knobs.temperature)
    order = [int(i) for i in np.argsort(-shares, kind="stable")]
    ranking = [_role_score(i, shares, raw, table, definition, contributions, ev, skills, model) for i in order]
    margin = float(shares[order[0]] - shares[order[1]])
    close = margin < knobs.close_margin
    confidence = confidence_of(total, margin, float(shares[order[0]]), english, model.settings)
    follow_up = follow_up_question(order[0], order[1], skills, model) if close else None
    top, second = ranking[0], ranking[1]
    message = (
        f"Best fit: {top.role} ({top.score:.0%} of the fit); runner-up {second.role} ({second.score:.0%}). "
        f"Confidence {confidence_label(confidence)}."
    )
    if close and follow_up:
        message += " " + follow_up["question"]
    return {
        "ranking": tuple(ranking),
        "confidence": confidence,
        "confidence_label": confidence_label(confidence),
        "margin": margin,
        "close": close,
        "follow_up": follow_up,
        "needs_more": False,
        "message": message,
        "archetypes": archetype_matches(shares, model),
    }


def _role_score(
    i: int,
    shares: np.ndarray,
    raw: np.ndarray,
    table: np.ndarray,
    definition: np.ndarray,
    contributions: np.ndarray,
    ev: TextEvidence,
    skills: list[SkillEstimate],
    model: FitModel,
) -> RoleScore:
    """Role i's score, its reasons, and what it cites: its Section 4 definition, plus the passage of its
    sentence closest to the person's words."""
    role = ROLES[i]
    closest = closest_definition(ev, i, model) if ev.clauses else None
    cited = [model.role_passage[role]]
    if closest and closest["passage_id"] != cited[0].id:
        cited.append(model.passages[closest["passage_id"]])
    return RoleScore(
        role=role,
        score=float(shares[i]),
        raw=float(raw[i]),
        table_score=float(table[i]),
        definition_score=float(definition[i]),
        reasons=build_reasons(i, contributions, skills, model),
        citations=tuple(cited),
        closest=closest,
    )


def fit_file(
    filename: str,
    data: bytes,
    quiz: Mapping[str, object] | None = None,
    *,
    settings: Settings | None = None,
    model: FitModel | None = None,
) -> RoleFit:
    """Fit from an uploaded CV/profile (.txt, .md, .pdf, .docx), read in memory only."""
    settings = settings or (model.settings if model else get_settings())
    return fit(read_profile_bytes(filename, data, settings.fit.max_file_bytes), quiz, settings=settings, model=model)
