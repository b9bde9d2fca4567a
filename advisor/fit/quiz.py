"""The quiz: one question per Table 1 skill, answers 0..4."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .errors import FitInputError
from .matrix import lower_first
from .model import FitModel

QUIZ_MAX = 4  # quiz answers run 0 (not at all) .. 4 (core of my work)


def resolve_skill(key: str, skill_ids: Sequence[str], labels: Mapping[str, str] | None = None) -> str:
    """A quiz key -> skill id: the id, the Table 1 label, or an unambiguous prefix of either."""
    norm = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    labels = labels or {}
    names = {sid: {sid, re.sub(r"[^a-z0-9]+", "_", labels.get(sid, sid).lower()).strip("_")} for sid in skill_ids}
    exact = [sid for sid, ns in names.items() if norm in ns]
    if exact:
        return exact[0]
    prefix = [sid for sid, ns in names.items() if norm and any(n.startswith(norm) for n in ns)]
    if len(prefix) == 1:
        return prefix[0]
    hint = "ambiguous" if prefix else "unknown"
    raise FitInputError(f"{hint} quiz skill {key!r}; use one of: {', '.join(skill_ids)}")


def parse_quiz_args(pairs: Iterable[str]) -> dict[str, int]:
    """["publication=4", "deployment=0"] -> {"publication": 4, "deployment": 0} (keys resolved later)."""
    out: dict[str, int] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise FitInputError(f"quiz answer {pair!r} should look like skill=level, e.g. publication=4")
        try:
            level = int(value.strip())
        except ValueError:
            raise FitInputError(f"quiz answer {pair!r}: level must be a whole number 0-{QUIZ_MAX}") from None
        out[key.strip()] = level
    return out


def normalise_quiz(quiz: Mapping[str, object] | None, model: FitModel) -> dict[str, int]:
    """Quiz answers keyed by skill id, each checked to be a whole number 0..QUIZ_MAX."""
    labels = {r.id: r.label for r in model.matrix.rows}
    out: dict[str, int] = {}
    for key, value in (quiz or {}).items():
        sid = resolve_skill(str(key), model.skill_ids, labels)
        try:
            level = int(value)
        except (TypeError, ValueError):
            raise FitInputError(f"quiz answer for {key!r} must be a whole number 0-{QUIZ_MAX}, got {value!r}") from None
        if isinstance(value, float) and not float(value).is_integer() or not 0 <= level <= QUIZ_MAX:
            raise FitInputError(f"quiz answer for {key!r} must be a whole number 0-{QUIZ_MAX}, got {value!r}")
        out[sid] = level
    return out


def quiz_questions(model: FitModel) -> tuple[dict, ...]:
    return tuple(
        {
            "skill": r.id,
            "label": r.label,
            "scale": f"0-{QUIZ_MAX}",
            "question": f"How much do you want “{lower_first(r.label)}” in your work? "
            f"(0 = not at all, 2 = some, {QUIZ_MAX} = it's the core)",
        }
        for r in model.matrix.rows
    )
