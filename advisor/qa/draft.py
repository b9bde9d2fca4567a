"""The prompt (numbered passages) and the streamed draft, bounded in time, from any backend."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence

from langchain_core.messages import HumanMessage, SystemMessage

from ..core.text import CITATION_WITH_SPACE
from ..core.types import Evidence, Passage
from ..grounding import passage_sentences
from ..llm import Backend, prompts

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|sources?|prompt|rules)\b|"
    r"\byou are now\b|\bsystem prompt\b|\bsay (that )?the best role\b",
    re.I,
)


def is_instruction_like(text: str) -> bool:
    """Text in a passage that addresses the model rather than the reader."""
    return bool(_INJECTION.search(text))


def passage_line(n: int, passage: Passage) -> str:
    """A passage as a model sees it: "[n] text", with instruction-like sentences removed and the paper's own
    reference markers written "(reference 3)", so they cannot be mistaken for passage numbers."""
    body = " ".join(s for s in passage_sentences(passage) if not is_instruction_like(s))
    body = CITATION_WITH_SPACE.sub(lambda m: f" (reference {m.group(1)})", body)
    return prompts.PASSAGE_LINE.format(n=n, text=body)


def numbered_passages_text(evidence: Sequence[Evidence]) -> str:
    return "\n".join(passage_line(n, ev.passage) for n, ev in enumerate(evidence, 1))


def draft_messages(question: str, evidence: Sequence[Evidence]) -> list:
    return [
        SystemMessage(prompts.ANSWER_SYSTEM),
        HumanMessage(prompts.ANSWER_USER.format(passages=numbered_passages_text(evidence), question=question)),
    ]


def stream_draft(backend: Backend, messages: list, timeout_s: float) -> Iterator[str]:
    """The draft's tokens as they arrive. Raises TimeoutError past timeout_s and ConnectionError when a
    backend that reports a finish reason ends its stream without one (the draft was cut off)."""
    started = time.perf_counter()
    finished = False
    for chunk in backend.model.stream(messages):
        meta = chunk.response_metadata or {}
        finished = finished or bool(meta.get("finish_reason") or meta.get("done_reason") or meta.get("done"))
        token = str(chunk.content)
        if token:
            yield token
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"no complete draft within {timeout_s:.0f} s")
    if backend.reports_finish and not finished:
        raise ConnectionError("the stream ended before the model finished")
