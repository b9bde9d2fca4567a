"""A capable model plans: LangChain's `create_agent` over the Toolbox's tools, bounded in model calls and wall
time, its final draft verified sentence by sentence against the passages its tools returned.

    question + history
      -> the offline policy's answer (shown first as a preview; the fallback)
      -> create_agent(model, tools, AGENT_SYSTEM) in a worker thread: tool calls (status events), draft tokens
      -> verify: a sentence restating a tool's verified statement keeps its citations; any other sentence
         must be supported by the passages it cites (qa.verify_draft); markers to anything no tool returned go
      -> the verified answer, or the offline answer with a notice that says what went wrong

A model that never calls a tool, repeats a call, calls an unknown tool or passes bad arguments (the tool node
tells it so), a tool that raises (reported to the model), a backend that hangs, dies or runs out of calls:
each ends in a verified answer or in the offline answer. Injected text cannot widen a tool's scope (the tools
only read the index) or add a citation (verification keeps only numbers a tool returned).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from langchain.agents import create_agent
from langchain.agents.middleware import ModelCallLimitMiddleware, ModelRequest, wrap_model_call
from langchain.agents.middleware.model_call_limit import ModelCallLimitExceededError
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage

from ..core.text import strip_citations
from ..core.types import Claim, Mode, Origin, Step
from ..grounding import encode_cached, split_claims
from ..llm import Backend, prompts
from ..qa import Verified, assemble, prepare_question, verify_draft
from ..qa.engine import Stopwatch
from .policy import OfflinePolicy
from .results import statement_holds
from .tools import CallLog, PlanAborted, describe_arguments


class PlanFailed(Exception):
    """The plan ended without a draft to verify; `kind` keys prompts.AGENT_REASONS."""

    def __init__(self, kind: str, **details):
        super().__init__(prompts.AGENT_REASONS[kind].format(**details))
        self.kind = kind


class ToolCallingPolicy:
    name = "tool-agent"

    def __init__(self, offline: OfflinePolicy, backend: Backend):
        self.offline = offline
        self.backend = backend
        self.settings = offline.settings
        self.toolbox = offline.toolbox
        self.embedder = offline.embedder

    def warm_up(self) -> None:
        self.offline.warm_up()

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        history = list(history or [])
        text, notices = prepare_question(question, self.settings.answer.max_question_chars)
        fallback = None
        for event in self.offline.stream(question, history):
            if event["type"] == "answer":
                fallback = event["answer"]
        assert fallback is not None, "the offline policy ended without an answer"
        if fallback.intent == "fit":  # a profile or CV: the role-fit model answers, not a plan over passages
            yield {"type": "answer", "answer": fallback}
            return
        yield {"type": "preview", "answer": fallback}
        yield {"type": "status", "text": f"Planning with {self.backend.name}…"}
        clock = Stopwatch()
        log = CallLog(self.toolbox.by_id, self.settings.agent.model_max_repeats)
        usage = {"model_calls": 0.0, "input_tokens": 0.0, "output_tokens": 0.0}
        try:
            draft = yield from self._plan(_messages(text, history), log, usage)
            clock.mark("plan_s")
            if not log.tool_steps:
                raise PlanFailed("no_tools")
            verified = self.verify(draft, log)
            share = len(verified.claims) / verified.total if verified.total else 0.0
            if not verified.claims:
                raise PlanFailed("refused" if not verified.total else "unverified", kept=0, total=verified.total)
            if share < self.settings.answer.min_surviving_share:
                raise PlanFailed("unverified", kept=len(verified.claims), total=verified.total)
        except PlanFailed as failure:
            clock.mark("total_s")
            note = prompts.AGENT_FALLBACK.format(backend=self.backend.name, reason=str(failure))
            yield {
                "type": "answer",
                "answer": replace(
                    fallback,
                    notices=(*fallback.notices, note),
                    steps=(*log.steps, *fallback.steps),
                    timings={**fallback.timings, **usage, "plan_s": clock.elapsed()},
                ),
            }
            return
        clock.mark("total_s")
        yield {
            "type": "answer",
            "answer": assemble(
                text,
                verified.claims,
                log.evidence,
                grounded=True,
                mode=Mode.GROUNDED,
                notices=tuple(notices),
                draft=draft,
                timings={**clock.timings, **usage},
                backend=self.backend.name,
                standalone_question=text,
                steps=tuple(log.steps),
                intent=fallback.intent,
                policy=self.name,
            ),
        }

    def _plan(self, messages: list[BaseMessage], log: CallLog, usage: dict) -> Iterator[dict]:
        """Run the agent in a worker thread (so a hanging backend cannot hold the answer past the wall time);
        yield its steps and draft tokens; return the final draft. Raises PlanFailed."""
        knobs = self.settings.agent
        agent = create_agent(
            self.backend.model,
            self.toolbox.langchain_tools(log),
            system_prompt=prompts.AGENT_SYSTEM,
            middleware=[
                ModelCallLimitMiddleware(run_limit=knobs.model_max_calls, exit_behavior="error"),
                *([_first_call_uses(knobs.model_first_tool)] if knobs.model_first_tool else []),
                _tool_call_messages_have_text,
            ],
        )
        events: queue.Queue = queue.Queue()

        def work() -> None:
            try:
                for mode, data in agent.stream({"messages": messages}, stream_mode=["updates", "messages"]):
                    events.put((mode, data))
                events.put(("done", None))
            except BaseException as exc:  # noqa: BLE001 - every failure of the run is reported to the caller
                events.put(("error", exc))

        threading.Thread(target=work, name="tool-agent", daemon=True).start()
        deadline = time.perf_counter() + knobs.model_wall_s
        draft, call_started = "", time.perf_counter()
        while True:
            try:
                mode, data = events.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                log.aborted = "time is up"  # the worker stops at its next tool call or when the backend returns
                raise PlanFailed("timeout", seconds=knobs.model_wall_s) from None
            if mode == "done":
                return draft
            if mode == "error":
                raise _failure(data, knobs.model_max_calls) from data
            if mode == "messages":
                chunk, meta = data
                if isinstance(chunk, AIMessageChunk) and meta.get("langgraph_node") == "model" and chunk.text:
                    yield {"type": "token", "text": chunk.text}
                continue
            for node, update in (data or {}).items():
                if node != "model" or not update:
                    call_started = time.perf_counter()  # a model call's time starts when its tools are done
                    continue
                message = next((m for m in update.get("messages", []) if isinstance(m, AIMessage)), None)
                if message is None:
                    continue
                usage["model_calls"] += 1
                tokens = message.usage_metadata or {}
                usage["input_tokens"] += tokens.get("input_tokens", 0)
                usage["output_tokens"] += tokens.get("output_tokens", 0)
                ms = (time.perf_counter() - call_started) * 1000
                call_started = time.perf_counter()
                if message.tool_calls:
                    calls = ", ".join(f"{c['name']}({describe_arguments(c['args'])})" for c in message.tool_calls)
                    log.steps.append(Step("model", {"backend": self.backend.name}, f"calls {calls}", ms))
                    yield {"type": "draft_reset"}
                    yield {"type": "status", "text": f"Calling {calls}"[:160]}
                else:
                    meta = message.response_metadata or {}
                    if self.backend.reports_finish and not (
                        meta.get("finish_reason") or meta.get("done_reason") or meta.get("done")
                    ):
                        raise PlanFailed("cut")
                    draft = message.text
                    log.steps.append(Step("model", {"backend": self.backend.name}, "wrote the answer", ms))

    def verify(self, draft: str, log: CallLog) -> Verified:
        """A sentence that restates a statement a tool verified (same values, same passages) keeps that
        statement's citations; every other sentence must be supported by the passages it cites."""
        sentences = split_claims(draft)
        holding = [(s, numbers) for s, numbers in log.statements if statement_holds(s, self.toolbox.by_id)]
        kept: list[Claim] = []
        rest = sentences
        if holding and sentences:
            vectors = encode_cached(self.embedder, [s.text for s in sentences] + [s.text for s, _ in holding])
            similarity = vectors[: len(sentences)] @ vectors[len(sentences) :].T
            rest = []
            for i, sentence in enumerate(sentences):
                j = int(similarity[i].argmax())
                if float(similarity[i, j]) >= self.settings.agent.statement_match:
                    kept.append(Claim(sentence.text, holding[j][1], float(similarity[i, j]), True, Origin.TOOL))
                else:
                    rest.append(sentence)
        checked = verify_draft(
            " ".join(s.raw for s in rest), log.evidence, self.embedder, self.settings, self.offline.answers.vocabulary()
        )
        limit = self.settings.answer.max_sentences
        order = {s.text: i for i, s in enumerate(sentences)}
        claims = sorted(kept + checked.claims, key=lambda c: order.get(c.text, len(order)))[:limit]
        return Verified(claims, len(kept) + checked.total, checked.dropped)


def _first_call_uses(tool: str):
    """Everything the model may say comes from the tools: its first call of a run must be `tool` (small models
    otherwise answer from memory). A tool name, not "required": llama.cpp's server accepts only that form."""

    @wrap_model_call
    def first_call(request: ModelRequest, handler):
        if not any(isinstance(m, ToolMessage) for m in request.messages):
            request = request.override(tool_choice=tool)
        return handler(request)

    return first_call


@wrap_model_call
def _tool_call_messages_have_text(request: ModelRequest, handler):
    """An assistant message that only calls tools goes out with content " " rather than null: llama.cpp's
    OpenAI-compatible server rejects a null content, which is what langchain-openai sends for an empty one."""
    messages = [
        m.model_copy(update={"content": " "}) if isinstance(m, AIMessage) and m.tool_calls and not m.content else m
        for m in request.messages
    ]
    return handler(request.override(messages=messages))


def _messages(question: str, history: Sequence[dict]) -> list[BaseMessage]:
    """The conversation as the model sees it: earlier turns without their citation markers (their numbers
    belonged to earlier tool calls), then the question."""
    messages: list[BaseMessage] = []
    for turn in history[-6:]:
        content = strip_citations(str(turn.get("content", "")))
        messages.append(HumanMessage(content) if turn.get("role") == "user" else AIMessage(content))
    return [*messages, HumanMessage(question)]


def _failure(exc: BaseException, max_calls: int) -> PlanFailed:
    if isinstance(exc, ModelCallLimitExceededError):
        return PlanFailed("calls", calls=max_calls)
    if isinstance(exc, PlanAborted):
        return PlanFailed("failed", error=str(exc))
    return PlanFailed("failed", error=f"{exc.__class__.__name__}: {exc}"[:200])
