"""The Gradio app: chat with click-to-evidence, role fit, evidence explorer.

Wiring only: each tab is a module (chat_tab, fit_tab, explorer_tab) over one Library (ui.library) that
holds the advisor functions; the HTML comes from ui.render. Per-user state lives in one gr.State per
browser session (ui.session.ChatSession).
"""

from __future__ import annotations

import gradio as gr

from advisor.core.settings import Settings, get_settings

from .chat_tab import ChatTab
from .explorer_tab import ExplorerTab
from .fit_tab import FitTab
from .library import AnswerStream, Library
from .session import ChatSession

INTRO = (
    "## Continuum Advisor\nCareer answers about AI research and engineering roles, every sentence cited to "
    "*The AI Roles Continuum* and its sources. Click a citation to see the passage."
)


def build_app(
    settings: Settings | None = None, *, answer_stream: AnswerStream | None = None, library: Library | None = None
) -> gr.Blocks:
    """The Blocks app. `answer_stream(question, history)` defaults to advisor.chat.stream_answer."""
    settings = settings or get_settings()
    lib = library or Library(settings, answer_stream)
    with gr.Blocks(title="Continuum Advisor", analytics_enabled=False) as demo:
        session = gr.State(ChatSession())
        gr.Markdown(INTRO)
        models_note = gr.Markdown(lib.models_note(), elem_id="models-note")
        # Polls only while the models load: each tick refreshes the note and stops the timer once it is empty.
        poll = gr.Timer(1.0, active=lib.models_status == "loading")

        def refresh_models_note():
            note = lib.models_note()
            return note, gr.Timer(active=bool(note) and lib.models_status == "loading")

        poll.tick(refresh_models_note, outputs=[models_note, poll], queue=False, show_progress="hidden")
        demo.load(refresh_models_note, outputs=[models_note, poll], queue=False, show_progress="hidden")
        with gr.Tabs():
            ChatTab(lib, settings).build(session)
            FitTab(lib, settings).build(session)
            ExplorerTab(lib).build(demo)
    return demo
