"""Follow-ups as standalone questions: "and at Meta?" after a question about Amazon is about Meta."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import HumanMessage, SystemMessage

from ..core.text import strip_markdown
from ..llm import Backend, prompts

_ENTITY_GROUPS = (
    ("Google DeepMind", "DeepMind", "OpenAI", "Anthropic", "Meta", "Facebook", "Amazon", "Microsoft", "Google"),
    (
        "research scientists",
        "research scientist",
        "research engineers",
        "research engineer",
        "applied scientists",
        "applied scientist",
        "ML engineers",
        "ML engineer",
        "machine learning engineers",
        "machine learning engineer",
    ),
)
_FOLLOW_UP_START = re.compile(r"^(and|but|also|what about|how about|same for|and what about|what of)\b", re.I)
_PRONOUN = re.compile(r"\b(they|them|their|it|its|that role|this role|those|there|he|she)\b", re.I)


def _entities(text: str, group: Sequence[str]) -> list[str]:
    found = []
    for name in group:  # longest names first within a group keep "Google DeepMind" whole
        if re.search(rf"\b{re.escape(name)}\b", text, re.I) and not any(name.lower() in f.lower() for f in found):
            found.append(name)
    return found


def looks_like_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question) or len(question.split()) <= 4)


def condense_deterministic(question: str, history: Sequence[dict]) -> str:
    """Rewrite a follow-up into a standalone question without a model: swap the entity it names into
    the previous question ("and at Meta?" after "...research scientists at Amazon?"), else append it."""
    previous = next((m["content"] for m in reversed(history or []) if m.get("role") == "user"), None)
    if not previous or not looks_like_follow_up(question):
        return question
    rewritten, swapped = previous, False
    for group in _ENTITY_GROUPS:
        new, old = _entities(question, group), _entities(previous, group)
        if new and old and new[0].lower() != old[0].lower():
            rewritten = re.sub(rf"\b{re.escape(old[0])}\b", new[0], rewritten, flags=re.I)
            swapped = True
    if swapped:
        return rewritten
    return f"{previous.rstrip('?. ')} — {question}"


def condense_question(question: str, history: Sequence[dict], backend: Backend | None) -> str:
    if not history:
        return question
    if backend is None or backend.name.startswith("local"):
        return condense_deterministic(question, history)  # SmolLM2-135M cannot rewrite reliably
    turns = "\n".join(f"{m['role']}: {strip_markdown(str(m['content']))[:500]}" for m in history[-6:])
    try:
        reply = backend.model.invoke(
            [
                SystemMessage(prompts.CONDENSE_SYSTEM),
                HumanMessage(prompts.CONDENSE_USER.format(history=turns, question=question)),
            ]
        )
        text = str(reply.content).strip().split("\n")[0].strip()
        return text if 3 <= len(text) <= 500 else condense_deterministic(question, history)
    except Exception:
        return condense_deterministic(question, history)
