"""fit(): a profile and/or quiz in, a ranked, explained and cited RoleFit out."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.settings import Settings, get_settings
from .base import ROLES
from .clauses import looks_english
from .evidence import skill_estimates, text_evidence
from .model import FitModel, get_fit_model
from .profile_files import read_profile_bytes
from .quiz import normalise_quiz, quiz_questions
from .result import RoleFit, RoleScore
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


def fit(
    profile: str | None = None,
    quiz: Mapping[str, object] | None = None,
    *,
    settings: Settings | None = None,
    model: FitModel | None = None,
) -> RoleFit:
    """Rank the four roles for a free-text profile and/or quiz answers (skill -> 0..4, overriding text)."""
    model = model or get_fit_model(settings)
    settings = model.settings
    notes: list[str] = []
    text = profile or ""  # not stripped: skill spans are offsets into the profile as given
    if not text.strip():
        text = ""
    if len(text) > settings.fit.max_profile_chars:
        text = text[: settings.fit.max_profile_chars]
        notes.append(f"Only the first {settings.fit.max_profile_chars} characters of the profile were read.")
    answers = normalise_quiz(quiz, model)
    english = looks_english(text) if text else True
    if text and not english:
        notes.append(
            "The profile does not look like English; the skill model reads English best, so this "
            "estimate is low-confidence. The quiz works in any language."
        )
    ev = text_evidence(text, model)
    skills = skill_estimates(ev, answers, model)
    evidence = np.array([s.evidence for s in skills])
    total = float(np.abs(evidence).sum())
    questions = quiz_questions(model)
    matrix_levels = {role: {row.id: row.cells[role].level for row in model.matrix.rows} for role in ROLES}

    if total < settings.fit.min_evidence:
        message = (
            "Tell me more about yourself: what do you enjoy or want to do more of (inventing methods, "
            "publishing, building training infrastructure, shipping models to users...)? "
            "Or answer the short quiz (one 0-4 answer per skill from the paper's Table 1)."
        )
        if text and not english:
            message = notes[-1] + " " + message
        return RoleFit(
            (),
            tuple(skills),
            0.0,
            "none",
            None,
            False,
            None,
            True,
            message,
            (),
            questions,
            tuple(notes),
            total,
            matrix_levels,
        )

    table, contributions = table_channel(evidence, model)
    # With every skill answered in the quiz the person has spoken for themselves; the text's wording stays out.
    definition = definition_channel(ev) if len(answers) < len(skills) else np.zeros(len(ROLES))
    raw = table + settings.fit.definition_weight * definition
    shares = softmax(raw, settings.fit.temperature)
    order = [int(i) for i in np.argsort(-shares, kind="stable")]
    ranking = []
    for i in order:
        role = ROLES[i]
        closest = closest_definition(ev, i, model) if ev.clauses else None
        cited = [model.role_passage[role]]
        if closest and closest["passage_id"] != cited[0].id:
            cited.append(model.passages[closest["passage_id"]])
        ranking.append(
            RoleScore(
                role,
                float(shares[i]),
                float(raw[i]),
                float(table[i]),
                float(definition[i]),
                build_reasons(i, contributions, skills, model),
                tuple(cited),
                closest,
            )
        )
    margin = float(shares[order[0]] - shares[order[1]])
    close = margin < settings.fit.close_margin
    confidence = confidence_of(total, margin, float(shares[order[0]]), english, settings)
    follow_up = follow_up_question(order[0], order[1], skills, model) if close else None
    top, second = ranking[0], ranking[1]
    message = (
        f"Best fit: {top.role} ({top.score:.0%} of the fit); runner-up {second.role} ({second.score:.0%}). "
        f"Confidence {confidence_label(confidence)}."
    )
    if close and follow_up:
        message += " " + follow_up["question"]
    return RoleFit(
        tuple(ranking),
        tuple(skills),
        confidence,
        confidence_label(confidence),
        margin,
        close,
        follow_up,
        False,
        message,
        archetype_matches(shares, model),
        questions,
        tuple(notes),
        total,
        matrix_levels,
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
