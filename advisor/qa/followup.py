"""Follow-ups as standalone questions: "and at Meta?" after a question about Amazon is about Meta."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import HumanMessage, SystemMessage

from ..core.text import content_words, stem, strip_markdown
from ..llm import Backend, prompts
from .coverage import QUESTION_WORDS

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
# "that" ends a question only as a pronoun ("which parts of the paper discuss that?"); elsewhere it is as often a
# conjunction ("does the paper say that ..."), unless it comes before a word for something an answer showed ("that
# caption", "this quote", "these sources"; not "this paper", which is the paper itself)
_PRONOUN = re.compile(
    r"\b(they|them|their|it|its|that role|this role|those|there|he|she)\b|\b(?:that|this|these)(?=\W*$)"
    r"|\b(?:that|this|these)\s+(?:captions?|quotes?|quotations?|figures?|fig|tables?|rows?|columns?|cells?|sections?"
    r"|parts?|paragraphs?|passages?|sentences?|claims?|sources?|refs?|references?|citations?|posts?|blogs?"
    r"|articles?|listings?|postings?|books?|chapters?|works?|stud(?:y|ies)|lists?|examples?|guy|person|authors?"
    r"|archetypes?|benchmarks?)\b",
    re.I,
)


def _entities(text: str, group: Sequence[str]) -> list[str]:
    found = []
    for name in group:  # longest names first within a group keep "Google DeepMind" whole
        if re.search(rf"\b{re.escape(name)}\b", text, re.I) and not any(name.lower() in f.lower() for f in found):
            found.append(name)
    return found


def looks_like_follow_up(question: str, by_length: bool = True) -> bool:
    """Surface cues: a follow-up start ("and ...", "what about ..."), a pronoun, or (`by_length`) four words
    or fewer."""
    return bool(
        _FOLLOW_UP_START.search(question) or _PRONOUN.search(question) or (by_length and len(question.split()) <= 4)
    )


def _own_words(question: str, entity_names: Sequence[str]) -> set[str]:
    """The follow-up's content words besides the entities it names and the cue that makes it a follow-up:
    what it asks of its own ("whom does it hire" in "and what about OpenAI, whom does it hire?")."""
    text = _FOLLOW_UP_START.sub("", question.strip())
    for name in entity_names:
        text = re.sub(rf"\b{re.escape(name)}\b", " ", text, flags=re.I)
    return set(content_words(text)) - {stem(w) for w in QUESTION_WORDS} - {"one"}


def condense_deterministic(question: str, history: Sequence[dict], follow_up: bool | None = None) -> str:
    """Rewrite a follow-up into a standalone question without a model. An ellipsis that names another entity
    ("and at Meta?" after "...research scientists at Amazon?") takes the previous question with the entity
    swapped; one that names its entity and asks its own question ("and OpenAI, whom does it hire?") stands
    alone; any other follow-up follows the previous question. `follow_up`: the caller's decision (the
    planner's learned one); None = the surface cues here."""
    previous = next((m["content"] for m in reversed(history or []) if m.get("role") == "user"), None)
    if follow_up is None:
        follow_up = looks_like_follow_up(question)
    if not previous or not follow_up:
        return question
    rewritten, named = previous, []
    for group in _ENTITY_GROUPS:
        new, old = _entities(question, group), _entities(previous, group)
        named += new
        if new and old and new[0].lower() != old[0].lower():
            rewritten = re.sub(rf"\b{re.escape(old[0])}\b", new[0], rewritten, flags=re.I)
    own = _own_words(question, named)
    if rewritten != previous and not own:
        return rewritten
    if rewritten != previous:
        return question  # it names its entity and asks its own question
    return f"{previous.rstrip('?. ')} — {question}"


def condense_question(
    question: str, history: Sequence[dict], backend: Backend | None, follow_up: bool | None = None
) -> str:
    if not history:
        return question
    if backend is None or backend.name.startswith("local"):
        return condense_deterministic(question, history, follow_up)  # SmolLM2-135M cannot rewrite reliably
    turns = "\n".join(f"{m['role']}: {strip_markdown(str(m['content']))[:500]}" for m in history[-6:])
    try:
        reply = backend.model.invoke(
            [
                SystemMessage(prompts.CONDENSE_SYSTEM),
                HumanMessage(prompts.CONDENSE_USER.format(history=turns, question=question)),
            ]
        )
        text = str(reply.content).strip().split("\n")[0].strip()
        return text if 3 <= len(text) <= 500 else condense_deterministic(question, history, follow_up)
    except Exception:
        return condense_deterministic(question, history, follow_up)
