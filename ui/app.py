"""The Gradio app: chat with click-to-evidence, role fit, evidence explorer.

Wiring only. Answers come from advisor.answer, role fit from advisor.fit, the paper and its references
from advisor.corpus, citation verdicts from advisor.audit (when present); the HTML comes from ui.render.
Per-user state lives in one gr.State per browser session (ui.session.ChatSession).

No `from __future__ import annotations` here: Gradio reads handler type hints at run time to pass
gr.EventData / gr.SelectData, and string annotations hide them.
"""

import atexit
import base64
import io
import json
import logging
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from advisor.settings import Settings, get_settings

from . import render
from .session import ChatSession, Turn

log = logging.getLogger("advisor.ui")

STATIC = Path(__file__).resolve().parent / "static"
STREAM_INTERVAL_S = 0.08  # redraw the streaming bubble at most this often (every token would flood 20 clients)
EXAMPLE_QUESTIONS = (
    "Do research engineers need a PhD?",
    "How do Anthropic and OpenAI structure research and engineering roles?",
    "Which skills do all four roles share?",
    "I love building training infrastructure and shipping models, and I don't want to publish. Which role fits me?",
)
EMPTY_MESSAGE_HINT = "Type a question first, for example “Do research engineers need a PhD?”"
PROFILE_FILE_TYPES = [".txt", ".md", ".pdf", ".docx"]

AnswerStream = Callable[[str, list[dict]], Iterator[dict]]


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def cite_listener_js(scope: str) -> str:
    return _static("cite_listener.js").replace("__SCOPE__", json.dumps(scope))


# ---------------------------------------------------------------- library access (cached per process)


class Library:
    """The advisor functions the app calls, bound to one Settings. Corpus files are read once."""

    def __init__(self, settings: Settings, answer_stream: AnswerStream | None = None):
        from advisor.corpus import PAPER_FILE, load_references, markdown_blocks, read_text

        self.settings = settings
        self._read_text = read_text
        self.paper_text = read_text(settings.corpus_dir / PAPER_FILE)
        self.paper_blocks = markdown_blocks(self.paper_text)
        self.references = load_references(settings.corpus_dir)
        self.ref_titles = {n: ref.title for n, ref in self.references.items()}
        self._answer_stream = answer_stream
        self.audit: list[dict] = []  # citation verdicts (advisor.audit), filled by load_audit
        self.audit_status = "not-loaded"

    def answer_stream(self, question: str, history: list[dict]) -> Iterator[dict]:
        if self._answer_stream is not None:
            return self._answer_stream(question, history)
        from advisor.answer import stream_answer

        return stream_answer(question, history, settings=self.settings)

    @lru_cache(maxsize=64)
    def corpus_text(self, relative: str) -> str | None:
        """A corpus file's text (for highlighting a passage inside its paragraph); None if unreadable."""
        path = (self.settings.corpus_dir / relative).resolve()
        if self.settings.corpus_dir.resolve() not in path.parents:
            return None  # a passage never points outside the corpus; refuse rather than read it
        try:
            return self._read_text(path)
        except Exception:
            return None

    def passage(self, passage_id: str, fallback: dict):
        """The full Passage for an id (title and year included) from the live index; if the index no
        longer has it, one rebuilt from the fields a fit result carries."""
        from advisor.corpus import PAPER_TITLE
        from advisor.retrieve import get_retriever
        from advisor.types import Passage

        index = get_retriever(self.settings, notify=log.info).index
        if passage_id in index.by_id:
            return index.by_id[passage_id]
        doc = str(fallback.get("doc", "paper"))
        ref = self.references.get(int(doc[4:])) if doc.startswith("ref-") and doc[4:].isdigit() else None
        return Passage(id=passage_id, text=fallback.get("text", ""), doc=doc, title=ref.title if ref else PAPER_TITLE,
                       section=str(fallback.get("section", "")), section_title=fallback.get("section_title", ""),
                       kind=fallback.get("kind", ""), cites=(), url=fallback.get("url", ""),
                       file=fallback.get("file", ""), start=int(fallback.get("start", 0)),
                       end=int(fallback.get("end", 0)), year=ref.year if ref else None)

    def source_text(self, ref_id: int) -> str | None:
        ref = self.references.get(ref_id)
        if ref is None or not ref.source_file:
            return None
        return self.corpus_text(ref.source_file)

    def load_audit(self) -> None:
        """Compute (or read the cached) citation verdicts; slow the first time, so run in a thread."""
        try:
            from advisor.audit import verdict_summaries_by_passage
        except ImportError:
            self.audit_status = "absent"
            return
        self.audit_status = "running"
        try:
            by_id: dict[str, dict] = {}
            for verdicts in verdict_summaries_by_passage(self.settings).values():
                for verdict in verdicts:
                    by_id.setdefault(str(verdict.get("id")), verdict)
            self.audit = list(by_id.values())
            self.audit_status = "ready"
        except Exception:
            log.exception("citation audit failed; the explorer shows no verdicts")
            self.audit_status = "failed"

    def audit_note(self) -> str:
        return {"running": "The citation audit is still running; reopen the section in a minute to see verdicts.",
                "failed": "The citation audit failed, so no verdicts are shown.",
                "not-loaded": "Citation verdicts are not loaded in this app."}.get(self.audit_status, "")

    def fit(self, profile: str, quiz: dict):
        from advisor.fit import fit

        return fit(profile or None, quiz or None, settings=self.settings)

    def read_profile_file(self, filename: str, data: bytes) -> str:
        from advisor.profile_files import read_profile_bytes

        return read_profile_bytes(filename, data, self.settings.fit_max_file_bytes)

    def fit_chart_png(self, result) -> str | None:
        """The fit chart as base64 PNG (for the chat), or None if the chart cannot be drawn."""
        figure = self.fit_chart(result)
        if figure is None:
            return None
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    def fit_chart(self, result):
        """plot_fit's figure for a RoleFit, or for its dict form (as a chat answer carries it, without the
        Table 1 levels, which are added here from the paper)."""
        from advisor.fit import parse_table1, plot_fit

        if isinstance(result, dict) and not result.get("matrix"):
            rows = parse_table1(self.paper_text, self.settings).rows
            result = {**result, "matrix": {role: {row.id: row.cells[role].level for row in rows}
                                           for role in rows[0].cells}}
        try:
            return plot_fit(result)
        except Exception:  # a chart is a nicety; the ranking and reasons stand without it
            log.exception("role-fit chart failed")
            return None

    def quiz_rows(self) -> list[tuple[str, str]]:
        """(skill id, Table 1 label) per quiz question."""
        from advisor.fit import parse_table1

        return [(row.id, row.label) for row in parse_table1(self.paper_text, self.settings).rows]


# ---------------------------------------------------------------- event handlers


def evidence_column(tab: str, elem_id: str):
    """The evidence panel beside a tab's main column; citation chips clicked inside the tab open here."""
    import gradio as gr

    with gr.Column(scale=2, elem_classes=["evidence-column"]):
        gr.Markdown("#### Evidence")
        return gr.HTML(render.empty_panel_html(), js_on_load=cite_listener_js(tab), elem_id=elem_id, min_height=200)


def build_app(settings: Settings | None = None, *, answer_stream: AnswerStream | None = None,
              library: Library | None = None):
    """The Blocks app. `answer_stream(question, history)` defaults to advisor.answer.stream_answer."""
    import gradio as gr
    from advisor.answer import QuestionError, prepare_question

    settings = settings or get_settings()
    lib = library or Library(settings, answer_stream)

    # -- chat

    def respond(message: str, session: ChatSession):
        try:
            text, notices = prepare_question(message, settings.ui_max_message_chars)
        except QuestionError:  # the browser-side guard stops empty messages; this covers API callers
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
            for event in events_with_ticks(lib.answer_stream(text, history), STREAM_INTERVAL_S):
                kind = event["type"] if event else "tick"
                if kind == "answer":
                    turn.answer = event["answer"]
                    if turn.answer.fit and not turn.answer.fit.get("needs_more"):
                        turn.chart_png = lib.fit_chart_png(turn.answer.fit)
                    break
                if kind == "status":
                    status, changed = event.get("text", status), True
                elif kind == "token":
                    draft, changed = draft + event.get("text", ""), True
                if changed and time.monotonic() - last_draw >= STREAM_INTERVAL_S:
                    last_draw, changed = time.monotonic(), False
                    yield render.chat_messages(session.turns, (status, draft)), session, gr.skip()
        except Exception as exc:  # the pipeline degrades on its own; this catches what it could not
            log.exception("answer pipeline failed")
            turn.error = f"The advisor could not answer this question ({exc.__class__.__name__}). Please try again."
        if turn.answer is None and turn.error is None:
            turn.error = "The advisor returned no answer. Please try again."
        yield render.chat_messages(session.turns), session, gr.skip()

    def show_chat_evidence(session: ChatSession, evt: gr.EventData):
        key = render.parse_key(_event_key(evt))
        if key is None:
            return gr.skip()
        if key.kind == "fit":
            turn = _turn_number(key.parts[0])
            answer = session.turns[turn].answer if turn is not None and turn < len(session.turns) else None
            return _fit_evidence(answer.fit if answer else None, key.number(1), compact=bool(answer and answer.claims))
        turn_index = key.number(0)
        if turn_index >= len(session.turns) or session.turns[turn_index].answer is None:
            return render.empty_panel_html("That answer is no longer in this conversation.")
        answer = session.turns[turn_index].answer
        if key.kind == "rel":
            i = key.number(1)
            if i >= len(answer.related):
                return gr.skip()
            ev = answer.related[i]
            return render.related_panel_html(ev, i, lib.corpus_text(ev.passage.file))
        citation = next((c for c in answer.citations if c.n == key.number(2)), None)
        if citation is None:
            return gr.skip()
        claim_index = key.number(1)
        claim = answer.claims[claim_index] if claim_index < len(answer.claims) else None
        return render.citation_panel_html(citation, claim, lib.corpus_text(citation.evidence.passage.file))

    def _fit_evidence(fit_result: dict | None, index: int, compact: bool = False):
        cited = render.fit_citations(fit_result or {}, compact)
        if index >= len(cited):
            return gr.skip()
        data = cited[index]
        passage = lib.passage(data.get("id", ""), data)
        return render.passage_panel_html(passage, lib.corpus_text(passage.file), label=f"[{index + 1}]",
                                         note="Cited by the role-fit result.")

    def new_chat():
        return [], ChatSession(), render.empty_panel_html(), ""

    def export_conversation(session: ChatSession) -> str:
        return render.conversation_markdown(session.answered())

    def fill_example(evt: gr.SelectData):
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    # -- role fit

    def run_fit(profile: str, upload, session: ChatSession, *quiz_answers):
        """Profile text + optional CV (read in memory, its temp file deleted at once) + quiz -> fit."""
        quiz = {skill: int(answer) for (skill, _), answer in zip(quiz_rows, quiz_answers) if answer not in (None, "")}
        profile = (profile or "").strip()
        preview = ""
        if upload is not None:
            path = Path(upload if isinstance(upload, str) else upload.name)
            try:
                data = path.read_bytes()
                file_text = lib.read_profile_file(path.name, data)
            except Exception as exc:  # too big, binary, unreadable: say so plainly and keep working
                return (f'<div class="fit-error">{render.esc(upload_error_message(exc, path.name))}</div>', None,
                        session, None)
            finally:
                _delete_upload(path)
            preview = file_text
            profile = f"{profile}\n\n{file_text}".strip()
        if not profile and not quiz:
            return (render.fit_html({"needs_more": True, "message": "Describe yourself, upload a CV or answer the "
                                     "quiz, then press “Find my role”."}, "tab"), None, session, None)
        try:
            result = lib.fit(profile, quiz)
        except Exception as exc:
            log.exception("role fit failed")
            return f'<div class="fit-error">{render.esc(str(exc))}</div>', None, session, None
        fit_result = result.to_dict()
        session.fit = fit_result
        preview_html = (f'<details class="profile-read" open><summary>What we read from {render.esc(path.name)}</summary>'
                        f'<div class="profile-preview">{render.text_html(preview[:1500])}</div></details>'
                        if preview else "")
        figure = lib.fit_chart(result) if not fit_result.get("needs_more") else None
        return render.fit_html(fit_result, "tab") + preview_html, figure, session, None

    def show_fit_evidence(session: ChatSession, evt: gr.EventData):
        key = render.parse_key(_event_key(evt))
        if key is None or key.kind != "fit":
            return gr.skip()
        return _fit_evidence(session.fit, key.number(1))

    # -- evidence explorer

    sections = render.paper_sections(lib.paper_blocks)
    citing = render.citing_sentences(lib.paper_text, lib.paper_blocks, lib.references)

    def show_section(section: str):
        return render.explorer_section_html(lib.paper_text, lib.paper_blocks, section, lib.ref_titles, lib.audit,
                                            lib.audit_note())

    def show_reference(evt: gr.EventData):
        key = render.parse_key(_event_key(evt))
        if key is None or key.kind != "ref" or key.number(0) not in lib.references:
            return gr.skip()
        ref_id = key.number(0)
        return render.reference_panel_html(lib.references[ref_id], lib.source_text(ref_id),
                                           [c for c in citing if ref_id in c.refs], lib.audit)

    # -- layout

    quiz_rows = lib.quiz_rows()
    first_section = next((key for key, _ in sections if key.isdigit()), sections[0][0])
    with gr.Blocks(title="Continuum Advisor", analytics_enabled=False) as demo:
        session = gr.State(ChatSession())
        gr.Markdown("## Continuum Advisor\nCareer answers about AI research and engineering roles, every sentence "
                    "cited to *The AI Roles Continuum* and its sources. Click a citation to see the passage.")
        with gr.Tabs():
            with gr.Tab("Chat", elem_id="tab-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            elem_id="chat", height=540, show_label=False, latex_delimiters=[],
                            examples=[{"text": q} for q in EXAMPLE_QUESTIONS], feedback_options=None,
                            placeholder="Ask about research and engineering roles in AI — or which one fits you.")
                        message = gr.Textbox(elem_id="message", label="Your question", show_label=False,
                                             lines=1, max_lines=8,  # one line: Enter sends, Shift+Enter breaks
                                             placeholder="Ask a question and press Enter",
                                             max_length=max(settings.ui_max_message_chars * 10, 50_000))
                        gr.HTML('<div class="input-hint" id="message-hint"></div>', js_on_load=None)
                        with gr.Row():
                            send = gr.Button("Send", variant="primary", elem_id="send")
                            new = gr.Button("New chat", elem_id="new-chat")
                            export = gr.Button("Export Markdown", elem_id="export")
                        export_markdown = gr.Textbox(visible=False, elem_id="export-markdown")
                    evidence = evidence_column("tab-chat", "chat-evidence")
            with gr.Tab("Role fit", elem_id="tab-fit"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        profile = gr.Textbox(label="About you", lines=5, elem_id="profile",
                                             placeholder="What do you enjoy, what is your background, what do you "
                                                         "want more or less of?")
                        upload = gr.File(label="CV or profile (.txt .md .pdf .docx, up to "
                                               f"{settings.ui_max_upload_mb:g} MB; read in memory, never stored)",
                                         file_types=PROFILE_FILE_TYPES, type="filepath", elem_id="cv", height=120)
                        with gr.Accordion("Quiz: one question per Table 1 skill (optional; 0 = not at all, "
                                          "4 = the core of my work)", open=False):
                            quiz = [gr.Radio(choices=["0", "1", "2", "3", "4"], value=None, label=label,
                                             elem_id=f"quiz-{skill}") for skill, label in quiz_rows]
                        find = gr.Button("Find my role", variant="primary", elem_id="find-role")
                        fit_view = gr.HTML(elem_id="fit-result")
                        fit_chart = gr.Plot(label="Your profile against Table 1", elem_id="fit-chart")
                    fit_evidence = evidence_column("tab-fit", "fit-evidence")
            with gr.Tab("Evidence explorer", elem_id="tab-explorer"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        section = gr.Dropdown(choices=[(label, key) for key, label in sections],
                                              value=first_section, label="Section of the paper",
                                              elem_id="section")
                        paper_view = gr.HTML(show_section(first_section), elem_id="paper-view")
                    with gr.Column(scale=2, elem_classes=["evidence-column"]):
                        gr.Markdown("#### Reference")
                        reference = gr.HTML(render.empty_panel_html("Click a reference such as [12] to see its "
                                                                    "entry and the source text we hold."),
                                            js_on_load=cite_listener_js("tab-explorer"), elem_id="reference-panel",
                                            min_height=200)

        ask = dict(fn=respond, inputs=[message, session], outputs=[chatbot, session, message],
                   concurrency_id="answer")
        guard = _static("empty_guard.js").replace("__HINT__", json.dumps(EMPTY_MESSAGE_HINT))
        for trigger in (send.click, message.submit):
            trigger(None, [message], None, js=guard).success(**ask)
        chatbot.example_select(fill_example, None, message).then(**ask)
        evidence.click(show_chat_evidence, [session], [evidence], queue=False)
        new.click(new_chat, None, [chatbot, session, evidence, message], queue=False)
        export.click(export_conversation, [session], [export_markdown], queue=False).then(
            None, [export_markdown], None, js=_static("download.js"))
        find.click(run_fit, [profile, upload, session, *quiz], [fit_view, fit_chart, session, upload],
                   concurrency_id="fit")
        fit_evidence.click(show_fit_evidence, [session], [fit_evidence], queue=False)
        section.change(show_section, [section], [paper_view], queue=False)
        demo.load(show_section, [section], [paper_view], queue=False)  # picks up verdicts that arrived since
        reference.click(show_reference, None, [reference], queue=False)
    return demo


def events_with_ticks(events: Iterator[dict], interval: float) -> Iterator[dict | None]:
    """The events of `events`, produced in a worker thread, with a None "tick" whenever `interval`
    seconds pass without one. The chat redraws at most every interval, so without ticks the last
    tokens before a pause (a backend that died, a slow verification) would stay unseen until the end.
    An exception raised by `events` is raised here."""
    inbox: queue.Queue = queue.Queue()
    finished = object()

    def produce() -> None:
        try:
            for event in events:
                inbox.put(event)
        except BaseException as exc:  # handed to the consumer, which raises it in the request's thread
            inbox.put(exc)
        inbox.put(finished)

    threading.Thread(target=produce, name="advisor-answer", daemon=True).start()
    while True:
        try:
            item = inbox.get(timeout=interval)
        except queue.Empty:
            yield None
            continue
        if item is finished:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _event_key(evt) -> str | None:
    try:
        return evt.key
    except (AttributeError, TypeError):
        return None


def _turn_number(scope: str) -> int | None:
    return int(scope[1:]) if scope.startswith("t") and scope[1:].isdigit() else None


def upload_error_message(exc: Exception, filename: str) -> str:
    """The reader's own message for a file it refuses (ProfileFileError is a ValueError and names the
    file and the limit); for anything else only the file name, never what is inside."""
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return f"Could not read {filename} ({exc.__class__.__name__}). Try a .txt, .md, .pdf or .docx file."


def _delete_upload(path: Path) -> None:
    """Uploads are read once and removed: nothing a user sends stays on disk."""
    try:
        path.unlink(missing_ok=True)
        if path.parent != Path(tempfile.gettempdir()) and not any(path.parent.iterdir()):
            path.parent.rmdir()  # Gradio stores each upload in its own hashed folder
    except OSError:
        log.warning("could not delete an uploaded file from the temp folder")


# ---------------------------------------------------------------- serving


def private_upload_dir() -> Path:
    """A 0700 temp folder for Gradio's upload cache, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="advisor-uploads-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def launch(demo, settings: Settings, host: str, port: int, *, block: bool = True):
    """Queue with room for 20 simultaneous chats and serve on host:port, never through a share link."""
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_max_queue)
    return demo.launch(server_name=host, server_port=port, share=False, css=_static("app.css"),
                       max_file_size=int(settings.ui_max_upload_mb * 1024 * 1024), show_error=False,
                       footer_links=[], quiet=True, prevent_thread_lock=not block, ssr_mode=False)


def warm_up(settings: Settings) -> None:
    """Load the retriever, the index and the embedder."""
    try:
        from advisor.retrieve import get_retriever

        get_retriever(settings, notify=log.info).search("research engineer", 1)
    except Exception:
        log.exception("warm-up failed; the first question will load the models")


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    settings = settings or get_settings()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    upload_dir = private_upload_dir()
    os.environ["GRADIO_TEMP_DIR"] = str(upload_dir)
    # SIGTERM's default action skips atexit, so remove the upload folder in the handler itself (before
    # anything is served); a shutdown that then hangs and ends in SIGKILL has nothing left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: (shutil.rmtree(upload_dir, ignore_errors=True), sys.exit(0)))
    library = Library(settings)
    demo = build_app(settings, library=library)
    host, port = host or settings.ui_host, port or settings.ui_port
    launch(demo, settings, host, port, block=False)
    print(f"Continuum Advisor on http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    # Only once the page is served: load the models, then the citation verdicts for the explorer.
    threading.Thread(target=lambda: (warm_up(settings), library.load_audit()), name="advisor-warm-up",
                     daemon=True).start()
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
