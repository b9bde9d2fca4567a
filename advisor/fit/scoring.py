"""Scores per role from the evidence: the Table 1 and role-description channels, reasons, confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..core.settings import Settings
from ..core.text import sentence_spans, shorten, strip_citations, strip_markdown
from ..core.types import Passage, paragraph_of
from .evidence import TextEvidence
from .matrix import lower_first
from .model import HIRING, FitModel
from .quiz import QUIZ_MAX
from .result import Reason, SkillEstimate
from .roles import ROLES


def table_channel(evidence: np.ndarray, model: FitModel) -> tuple[np.ndarray, np.ndarray]:
    """(score per role, contribution per role x skill): evidence . distinctiveness / total evidence."""
    contributions = model.matrix.distinctiveness() * evidence[None, :]
    total = float(np.abs(evidence).sum())
    return (contributions.sum(axis=1) / total if total > 0 else np.zeros(len(ROLES))), contributions


def definition_channel(ev: TextEvidence) -> np.ndarray:
    """Per role: how much closer the person's words are to the role's closest Section 4/6 sentence than
    to the average role's, over clauses and their fragments, each weighted by its skill signal and signed
    by its polarity (a negated clause counts against the roles it resembles)."""
    if not len(ev.unit_text) or ev.unit_weight.sum() <= 0:
        return np.zeros(len(ROLES))
    sign = np.array([-1.0 if ev.clauses[i].negative else 1.0 for i in ev.unit_clause])
    centred = ev.unit_role_cosine - ev.unit_role_cosine.mean(axis=1, keepdims=True)
    return (centred * (ev.unit_weight * sign)[:, None]).sum(axis=0) / ev.unit_weight.sum()


def softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = (x - x.max()) / max(temperature, 1e-6)
    e = np.exp(z)
    return e / e.sum()


def _plural(role: str) -> str:
    return f"{role}s"


def _citation_for(model: FitModel, skill_index: int, role: str) -> Passage | None:
    """The Section 3/4 passage that best describes the skill for this role: the shared-skills passages of
    Section 3 or the role's own Section 4 definition (never another role's), with a small preference for
    the role's own words."""
    own = paragraph_of(model.role_passage[role].id)
    best, best_score = None, -1.0
    for i, pid in enumerate(model.citation_ids):
        in_own = paragraph_of(pid) == own
        if not (pid.startswith("paper:3:") or in_own):
            continue
        score = float(model.citation_sims[skill_index, i]) + (0.05 if in_own else 0.0)
        if score > best_score:
            best, best_score = pid, score
    return model.passages.get(best) if best else None


def build_reasons(
    role_index: int, contributions: np.ndarray, skills: Sequence[SkillEstimate], model: FitModel, max_reasons: int = 4
) -> tuple[Reason, ...]:
    role = ROLES[role_index]
    distinct = model.matrix.distinctiveness()[role_index]
    terms = contributions[role_index]
    order = [k for k in np.argsort(-np.abs(terms)) if abs(terms[k]) >= 0.02][:max_reasons]
    # Fewer than two skills spoke? Add what the role is built around that the person did not mention.
    if len(order) < 2:
        for k in np.argsort(-distinct):
            if len(order) >= 2:
                break
            if k not in order and skills[k].source == "none" and distinct[k] > 0:
                order.append(int(k))
    reasons = []
    for k in order:
        row, est = model.matrix.rows[k], skills[k]
        cell = row.cells[role]
        # The person's own words, without anything that reads as a citation marker ("[99]" typed in a CV).
        quoted = (
            f" (“{shorten(strip_citations(est.sentence), 60)}”)"
            if est.sentence
            else (" (quiz)" if est.source == "quiz" else "")
        )
        # The score compares the role with the average role, so the wording does too.
        relative = "more" if distinct[k] > 0 else "less"
        table = f"Table 1: {cell.text} — {cell.meaning}"
        if est.source == "none":
            effect = "unstated"
            text = (
                f"You did not mention {lower_first(row.label)}, which {_plural(role)} do {relative} than most "
                f"roles ({table})."
            )
        else:
            effect = "match" if terms[k] > 0 else "mismatch"
            stance = "You lean into" if est.evidence > 0 else "You would rather avoid"
            text = (
                f"{stance} {lower_first(row.label)}{quoted}, which {_plural(role)} do {relative} than most "
                f"roles ({table})."
            )
        cited = [model.row_passage[row.id]]
        extra = _citation_for(model, k, role)
        if extra is not None:
            cited.append(extra)
        reasons.append(
            Reason(
                skill=row.id,
                label=row.label,
                effect=effect,
                contribution=float(terms[k]),
                person_level=est.level,
                role_cell=cell,
                text=text,
                sentence=est.sentence,
                citations=tuple(cited),
            )
        )
    return tuple(reasons)


def closest_definition(ev: TextEvidence, role_index: int, model: FitModel) -> dict | None:
    """The role's sentence in the paper closest to something positive the person said."""
    positive = [u for u, i in enumerate(ev.unit_clause) if not ev.clauses[i].negative and ev.unit_weight[u] > 0]
    if not positive:
        return None
    u = max(positive, key=lambda u: ev.unit_role_cosine[u, role_index])
    sentence = model.role_sentences[int(ev.unit_role_sentence[u, role_index])]
    return {
        "you": ev.unit_text[u],
        "paper": sentence.text,
        "passage_id": sentence.passage_id,
        "similarity": round(float(ev.unit_role_cosine[u, role_index]), 4),
    }


def follow_up_question(first: int, second: int, skills: Sequence[SkillEstimate], model: FitModel) -> dict:
    """The one quiz question that would best separate the top two: the skill where Table 1 sets them
    furthest apart, preferring one the person has not spoken to yet."""
    levels = model.matrix.levels()
    gap = np.abs(levels[first] - levels[second])
    known = np.array([s.confidence for s in skills])
    k = int(np.argmax(gap * (1.0 - 0.8 * known)))
    row = model.matrix.rows[k]
    a, b = ROLES[first], ROLES[second]
    leans = a if levels[first, k] > levels[second, k] else b
    other = b if leans == a else a
    return {
        "skill": row.id,
        "label": row.label,
        "between": [a, b],
        "cells": {a: row.cells[a].text, b: row.cells[b].text},
        "question": (
            f"{a} and {b} are close for you. How much do you want “{lower_first(row.label)}” in your "
            f"work (0 = not at all … {QUIZ_MAX} = the core)? A high answer points to {leans} "
            f"(Table 1: {row.cells[leans].text}), a low one to {other} ({row.cells[other].text})."
        ),
        "citation": model.row_passage[row.id].to_dict(),
    }


def archetype_matches(shares: np.ndarray, model: FitModel, top: int = 3) -> tuple[dict, ...]:
    scored = []
    for a in model.archetypes:
        weights = np.array([a.role_weights[r] for r in ROLES])
        scored.append((float(shares @ weights), a))
    scored.sort(key=lambda t: -t[0])
    out = []
    # Only organisations that hire for this profile about as much as the best one does.
    for score, a in [(sc, a) for sc, a in scored if sc >= 0.5 * scored[0][0]][:top]:
        p = model.passages[a.hiring_passage_id]
        sentence = next(
            (strip_markdown(p.text[s:e]) for s, e in sentence_spans(p.text) if HIRING.search(p.text[s:e])),
            strip_markdown(p.text),
        )
        out.append(
            {
                "name": a.name,
                "score": round(score, 4),
                "roles": dict(a.role_weights),
                "lean": a.lean,
                "why": sentence,
                "citation": p.to_dict(),
            }
        )
    return tuple(out)


def confidence_of(evidence: float, margin: float, top_share: float, english: bool, settings: Settings) -> float:
    """Strength of evidence x how clearly the top role wins, halved for a non-English profile."""
    strength = 1.0 - math.exp(-evidence / max(settings.fit.evidence_scale, 1e-6))
    clarity = 0.5 * top_share + 0.5 * min(1.0, margin / max(2 * settings.fit.close_margin, 1e-6))
    return strength * clarity * (0.5 if not english else 1.0)


def confidence_label(value: float) -> str:
    return "high" if value >= 0.6 else "medium" if value >= 0.35 else "low"
