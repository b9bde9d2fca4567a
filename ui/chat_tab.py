"""The Chat tab: questions in, cited answers out, each citation opening its passage beside the chat.

No `from __future__ import annotations` in the ui tabs: Gradio reads handler type hints at run time to
pass gr.EventData / gr.SelectData, and string annotations hide them.
"""

import json
import logging
import time

import gradio as gr

from advisor.core.settings import Settings
from advisor.core.text import InputError
from advisor.qa import prepare_question

from . import render
from .library import Library
from .session import ChatSession, Turn
from .streaming import events_with_ticks
from .widgets import event_key, evidence_column, fit_evidence_panel, static_text

log = logging.getLogger("advisor.ui")

STREAM_INTERVAL_S = 0.08  # redraw the streaming bubble at most this often (every token would flood 20 clients)
EXAMPLE_QUESTIONS = (
    "Do research engineers need a PhD?",
    "How do Anthropic and OpenAI structure research and engineering roles?",
    "Which skills do all four roles share?",
    "I love building training infrastructure and shipping models, and I don't want to publish. Which role fits me?",
)
EMPTY_MESSAGE_HINT = "Type a question first, for example “Do research engineers need a PhD?”"


def turn_number(scope: str) -> int | None:
    """'t3' (the chip scope of a fit answered in turn 3) -> 3."""
    return int(scope[1:]) if scope.startswith("t") and scope[1:].isdigit() else None


class ChatTab:
    def __init__(self, lib: Library, settings: Settings):
        self.lib = lib
        self.settings = settings

    def build(self, session: gr.State) -> None:
        with gr.Tab("Chat", elem_id="tab-chat"), gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    height=540,
                    show_label=False,
                    latex_delimiters=[],
                    examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                    feedback_options=None,
                    placeholder="Ask about research and engineering roles in AI — or which one fits you.",
                )
                message = gr.Textbox(
                    elem_id="message",
                    label="Your question",
                    show_label=False,
                    lines=1,
                    max_lines=8,  # one line: Enter sends, Shift+Enter breaks
                    placeholder="Ask a question and press Enter",
                    max_length=max(self.settings.ui.max_message_chars * 10, 50_000),
                )
                gr.HTML('<div class="input-hint" id="message-hint"></div>', js_on_load=None)
                with gr.Row():
                    send = gr.Button("Send", variant="primary", elem_id="send")
                    new = gr.Button("New chat", elem_id="new-chat")
                    export = gr.Button("Export Markdown", elem_id="export")
                export_markdown = gr.Textbox(visible=False, elem_id="export-markdown")
            evidence = evidence_column("tab-chat", "chat-evidence")

        ask = {
            "fn": self.respond,
            "inputs": [message, session],
            "outputs": [chatbot, session, message],
            "concurrency_id": "answer",
        }
        guard = static_text("empty_guard.js").replace("__HINT__", json.dumps(EMPTY_MESSAGE_HINT))
        for trigger in (send.click, message.submit):
            trigger(None, [message], None, js=guard).success(**ask)
        chatbot.example_select(self.fill_example, None, message).then(**ask)
        evidence.click(self.show_evidence, [session], [evidence], queue=False)
        new.click(self.new_chat, None, [chatbot, session, evidence, message], queue=False)
        export.click(self.export_conversation, [session], [export_markdown], queue=False).then(
            None, [export_markdown], None, js=static_text("download.js")
        )

    def respond(self, message: str, session: ChatSession):
        try:
            text, notices = prepare_question(message, self.settings.ui.max_message_chars)
        except InputError:  # the browser-side guard stops empty messages; this covers API callers
            gr.Info(EMPTY_MESSAGE_HINT)
            yield gr.skip(), session, gr.skip()
            return
        history = session.history()
        turn = Turn(text, notices=tuple(notices))
        session.turns.append(turn)
        status, draft = "Searching the paper and its sources…", ""
        yield render.chat_messages(session.turns, (status, draft)), session, ""
        last_draw, changed = time.monotonic(), False
        try:
            for event in events_with_ticks(self.lib.answer_stream(text, history), STREAM_INTERVAL_S):
                kind = event["type"] if event else "tick"
                if kind == "answer":
                    turn.answer = event["answer"]
                    if turn.answer.fit is not None and not turn.answer.fit.needs_more:
                        turn.chart_png = self.lib.fit_chart_png(turn.answer.fit)
                    break
                if kind == "preview":
                    turn.preview, changed = event["answer"], True
                elif kind == "status":
                    status, changed = event.get("text", status), True
                elif kind == "token":
                    draft, changed = draft + event.get("text", ""), True
                elif kind == "draft_reset":  # a planning model's words before a tool call are not the answer
                    draft, changed = "", True
                if changed and time.monotonic() - last_draw >= STREAM_INTERVAL_S:
                    last_draw, changed = time.monotonic(), False
                    yield render.chat_messages(session.turns, (status, draft)), session, gr.skip()
        except Exception as exc:  # the pipeline degrades on its own; this catches what it could not
            log.exception("answer pipeline failed")
            turn.error = f"The advisor could not answer this question ({exc.__class__.__name__}). Please try again."
        if turn.answer is None and turn.error is None:
            turn.error = "The advisor returned no answer. Please try again."
        yield render.chat_messages(session.turns), session, gr.skip()

    def show_evidence(self, session: ChatSession, evt: gr.EventData):
        key = render.parse_key(event_key(evt))
        if key is None:
            return gr.skip()
        if key.kind == "fit":
            turn = turn_number(key.parts[0])
            answer = session.turns[turn].answer if turn is not None and turn < len(session.turns) else None
            fit_result = answer.fit.to_dict() if answer is not None and answer.fit is not None else None
            return fit_evidence_panel(self.lib, fit_result, key.number(1), compact=bool(answer and answer.claims))
        turn_index = key.number(0)
        turn = session.turns[turn_index] if turn_index < len(session.turns) else None
        answer = (turn.answer or turn.preview) if turn is not None else None  # a chip of the preview works too
        if answer is None:
            return render.empty_panel_html("That answer is no longer in this conversation.")
        if key.kind == "rel":
            i = key.number(1)
            if i >= len(answer.related):
                return gr.skip()
            ev = answer.related[i]
            return render.related_panel_html(ev, i, self.lib.corpus_text(ev.passage.file))
        citation = next((c for c in answer.citations if c.n == key.number(2)), None)
        if citation is None:
            return gr.skip()
        claim_index = key.number(1)
        claim = answer.claims[claim_index] if claim_index < len(answer.claims) else None
        return render.citation_panel_html(citation, claim, self.lib.corpus_text(citation.evidence.passage.file))

    def new_chat(self):
        return [], ChatSession(), render.empty_panel_html(), ""

    def export_conversation(self, session: ChatSession) -> str:
        return render.conversation_markdown(session.answered())

    def fill_example(self, evt: gr.SelectData):
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)
