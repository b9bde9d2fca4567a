"""One chat turn in, one Answer out. The only module that uses more than one engine.

A personal role-fit question ("which role fits me?"), or the self-description that follows the advisor's
request for one, goes to the role-fit engine; every other question goes to the answer engine. Citations
of paper passages then carry the citation-audit verdicts of those passages' own citations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace

from .audit import verdict_summaries_by_passage, verdict_summaries_if_ready
from .core.cache import OnceCache
from .core.settings import Settings, get_settings
from .core.types import Answer, Claim, Evidence, Mode, Origin, Passage
from .fit import RoleFit, fit, is_fit_question
from .llm import prompts
from .qa import AnswerEngine, assemble, prepare_question

log = logging.getLogger(__name__)


def asked_for_profile(history: Sequence[dict]) -> bool:
    """The advisor's last message asked the person to describe themselves."""
    return (
        bool(history)
        and history[-1].get("role") == "assistant"
        and str(history[-1].get("content", "")).startswith(prompts.FIT_NEEDS_PROFILE[:30])
    )


def wants_role_fit(question: str, history: Sequence[dict]) -> bool:
    return is_fit_question(question) or asked_for_profile(history)


def fit_answer(
    question: str, history: Sequence[dict], backend_name: str, notices: Sequence[str], settings: Settings
) -> Answer:
    """Answer a fit question with the role-fit engine, from the person's own words in this chat; every
    reason cites the Table 1 row or the Section 3/4 passage it rests on."""
    profile = " ".join([str(m["content"]) for m in history if m.get("role") == "user"] + [question])
    result = fit(profile, settings=settings)
    common = {"question": question, "backend": backend_name, "mode": Mode.FIT, "fit": result}
    if result.needs_more or not result.ranking:
        return Answer(
            answer=prompts.FIT_NEEDS_PROFILE,
            citations=(),
            claims=(),
            grounded=False,
            notices=tuple(list(notices) + [result.message] if result.message else notices),
            **common,
        )
    evidence: list[Evidence] = []

    def cite(passages: Sequence[Passage]) -> tuple[int, ...]:
        """The first passage as a citation number into `evidence` (added on first use)."""
        numbers = []
        for passage in passages[:1]:
            ids = [e.passage.id for e in evidence]
            if passage.id not in ids:
                evidence.append(Evidence(passage, 0.0, ("fit",)))
                ids.append(passage.id)
            numbers.append(ids.index(passage.id) + 1)
        return tuple(numbers)

    claims = [Claim(fit_lead(result), cite(result.ranking[0].citations), 1.0, True, Origin.FIT)]
    claims += [
        Claim(reason.text, cite(reason.citations), 1.0, True, Origin.FIT) for reason in result.ranking[0].reasons[:3]
    ]
    follow_up = result.follow_up.get("question") if result.close and isinstance(result.follow_up, dict) else None
    if follow_up:
        claims.append(Claim(str(follow_up), (), 1.0, True, Origin.NOTE))
    return assemble(
        question,
        claims,
        evidence,
        grounded=True,
        notices=tuple(notices),
        **{k: v for k, v in common.items() if k != "question"},
    )


def fit_lead(result: RoleFit) -> str:
    top = result.ranking[0]
    runner = result.ranking[1] if len(result.ranking) > 1 else None
    lead = f"From what you describe, {top.role} fits best ({top.score:.0%} of the fit)"
    return lead + (f", ahead of {runner.role} ({runner.score:.0%})." if runner else ".")


class ChatEngine:
    """Routes each turn and attaches audit verdicts. `wait_for_audit`: a one-shot CLI call may wait the
    ~10 s the audit costs once per index; an interactive chat attaches verdicts only once they are cached
    (the app warms them at start), so an answer never waits for them."""

    def __init__(self, answers: AnswerEngine, wait_for_audit: bool = False):
        self.answers = answers
        self.settings = answers.settings
        self.wait_for_audit = wait_for_audit

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        history = list(history or [])
        text, notices = prepare_question(question, self.settings.answer.max_question_chars)
        if wants_role_fit(text, history):
            notices = list(notices) + self.answers.backend_notices()
            yield {
                "type": "answer",
                "answer": fit_answer(text, history, self.answers.backend_label, notices, self.settings),
            }
            return
        for event in self.answers.stream(question, history):
            if event["type"] == "answer":
                event = {**event, "answer": self.with_audit(event["answer"])}
            yield event

    def ask(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if event["type"] == "answer":
                final = event["answer"]
        assert final is not None, "the chat stream ended without an answer"
        return final

    def with_audit(self, answer: Answer) -> Answer:
        """Answer sentence -> paper passage -> source passage -> verdict: each citation of a paper passage
        that itself cites sources carries the audit verdicts of those (sentence, reference) pairs."""
        if not answer.citations:
            return answer
        try:
            table = (
                verdict_summaries_by_passage(self.settings, self.answers.embedder)
                if self.wait_for_audit
                else verdict_summaries_if_ready(self.settings)
            )
        except Exception:  # the audit enriches an answer; it must never break one
            log.exception("citation audit unavailable; answering without verdicts")
            return answer
        if not table:
            return answer
        citations = tuple(
            replace(c, audit=tuple(table[c.evidence.passage.id])) if c.evidence.passage.id in table else c
            for c in answer.citations
        )
        return replace(answer, citations=citations)

    # The answer engine's parts that callers (evaluation, UI) reach through the chat.
    @property
    def embedder(self):
        return self.answers.embedder

    def backend(self):
        return self.answers.backend()

    def retrieve(self, question: str) -> list[Evidence]:
        return self.answers.retrieve(question)


_ENGINES: OnceCache[ChatEngine] = OnceCache(maxsize=8)


def get_engine(llm: str | None = None, settings: Settings | None = None, wait_for_audit: bool = False) -> ChatEngine:
    """The process-wide chat engine for a backend spec and settings."""
    settings = settings or get_settings()
    key = (llm, wait_for_audit, settings.model_dump_json())
    return _ENGINES.get(key, lambda: ChatEngine(AnswerEngine(settings, llm=llm), wait_for_audit=wait_for_audit))


def stream_answer(
    question: str, history: list[dict] | None = None, *, llm: str | None = None, settings: Settings | None = None
) -> Iterator[dict]:
    """Events for the UI: {"type": "status"|"token", "text"} ... then {"type": "answer", "answer": Answer}."""
    yield from get_engine(llm, settings).stream(question, history)
