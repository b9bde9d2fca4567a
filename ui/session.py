"""Per-browser-session state. One ChatSession lives in a gr.State, so Gradio keeps a separate copy for
every page load and nothing here is shared between users."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.agent import turn_metadata
from advisor.core.types import Answer


@dataclass
class Turn:
    question: str
    answer: Answer | None = None
    notices: tuple[str, ...] = ()  # about the question itself (e.g. it was cut), shown with the answer
    error: str | None = None  # the pipeline failed outright; shown instead of an answer
    chart_png: str | None = None  # base64 PNG of a role-fit chart answered in the chat
    preview: Answer | None = None  # the verified evidence answer shown while a draft is still being written


@dataclass
class ChatSession:
    turns: list[Turn] = field(default_factory=list)
    fit: dict | None = None  # the role-fit tab's latest result (its chips are looked up here)

    def history(self) -> list[dict]:
        """Completed turns as the answer pipeline's history: [{"role", "content"}, ...]; each answer carries
        its turn metadata (intent, tool, references) so a follow-up resolves through the conversation state."""
        messages: list[dict] = []
        for turn in self.turns:
            if turn.answer is None:
                continue
            messages.append({"role": "user", "content": turn.question})
            messages.append(
                {"role": "assistant", "content": turn.answer.answer, "metadata": turn_metadata(turn.answer)}
            )
        return messages

    def answered(self) -> list[tuple[str, Answer | None]]:
        return [(t.question, t.answer) for t in self.turns]
