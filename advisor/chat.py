"""One chat turn in, one Answer out.

The policy (advisor.agent) plans each turn over the tools — passage search, Table 1, references, claim
check, role fit, archetypes, paper sections — and composes the verified answer; citations of paper passages
then carry the citation-audit verdicts of those passages' own citations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from .agent import OfflinePolicy, ToolCallingPolicy, turn_metadata
from .audit import verdict_summaries_by_passage, verdict_summaries_if_ready
from .core.cache import OnceCache
from .core.settings import Settings, get_settings
from .core.types import Answer, Evidence
from .qa import AnswerEngine

log = logging.getLogger(__name__)


class ChatEngine:
    """Routes each turn and attaches audit verdicts. `wait_for_audit`: a one-shot CLI call may wait the
    ~10 s the audit costs once per index; an interactive chat attaches verdicts only once they are cached
    (the app warms them at start), so an answer never waits for them."""

    def __init__(self, answers: AnswerEngine, wait_for_audit: bool = False):
        self.answers = answers
        self.settings = answers.settings
        self.wait_for_audit = wait_for_audit
        self.policy = choose_policy(answers, wait_for_audit)

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        for event in self.policy.stream(question, history):
            if event["type"] in ("answer", "preview"):
                event = {**event, "answer": self.with_audit(event["answer"])}
            yield event

    def ask(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if event["type"] == "answer":
                final = event["answer"]
        assert final is not None, "the chat stream ended without an answer"
        return final

    def converse(self, questions: Iterable[str]) -> Iterator[Answer]:
        """A conversation: each question answered with the earlier turns as history (and their metadata:
        intent, tool, references), so follow-ups resolve through the conversation state."""
        history: list[dict] = []
        for question in questions:
            answer = self.ask(question, history)
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer.answer, "metadata": turn_metadata(answer)},
            ]
            yield answer

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

    def warm_up(self) -> None:
        """Fit the planner's models now (a few seconds, cached beside the index) rather than on a first question."""
        self.policy.warm_up()


def choose_policy(answers: AnswerEngine, wait_for_audit: bool = False) -> OfflinePolicy | ToolCallingPolicy:
    """A tool-calling model plans when the backend takes tools (openai:, ollama:) and settings allow it;
    otherwise the offline planner. The model's fallback is the offline planner without any model, so a
    failing backend is never asked twice."""
    backend = answers.backend()
    planner = answers.settings.agent.planner
    if backend is not None and backend.calls_tools and planner != "offline":
        plain = AnswerEngine(answers.settings, retriever=answers.retriever, llm="none")
        return ToolCallingPolicy(OfflinePolicy(plain, wait_for_audit=wait_for_audit), backend)
    return OfflinePolicy(answers, wait_for_audit=wait_for_audit)


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
