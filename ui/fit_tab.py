"""The Role fit tab: a profile, a CV and/or the Table 1 quiz -> ranked roles with cited reasons and a chart."""

import logging
from pathlib import Path

import gradio as gr

from advisor.core.settings import Settings

from . import render
from .library import Library
from .session import ChatSession
from .uploads import delete_upload, upload_error_message
from .widgets import event_key, evidence_column, fit_evidence_panel

log = logging.getLogger("advisor.ui")

PROFILE_FILE_TYPES = [".txt", ".md", ".pdf", ".docx"]
NOTHING_TO_FIT = "Describe yourself, upload a CV or answer the quiz, then press “Find my role”."


class FitTab:
    def __init__(self, lib: Library, settings: Settings):
        self.lib = lib
        self.settings = settings
        self.quiz_rows = lib.quiz_rows()

    def build(self, session: gr.State) -> None:
        with gr.Tab("Role fit", elem_id="tab-fit"), gr.Row(equal_height=False):
            with gr.Column(scale=3):
                profile = gr.Textbox(
                    label="About you",
                    lines=5,
                    elem_id="profile",
                    placeholder="What do you enjoy, what is your background, what do you want more or less of?",
                )
                upload = gr.File(
                    label="CV or profile (.txt .md .pdf .docx, up to "
                    f"{self.settings.ui.max_upload_mb:g} MB; read in memory, never stored)",
                    file_types=PROFILE_FILE_TYPES,
                    type="filepath",
                    elem_id="cv",
                    height=120,
                )
                with gr.Accordion(
                    "Quiz: one question per Table 1 skill (optional; 0 = not at all, 4 = the core of my work)",
                    open=False,
                ):
                    quiz = [
                        gr.Radio(choices=["0", "1", "2", "3", "4"], value=None, label=label, elem_id=f"quiz-{skill}")
                        for skill, label in self.quiz_rows
                    ]
                find = gr.Button("Find my role", variant="primary", elem_id="find-role")
                fit_view = gr.HTML(elem_id="fit-result")
                fit_chart = gr.Plot(label="Your profile against Table 1", elem_id="fit-chart")
            fit_evidence = evidence_column("tab-fit", "fit-evidence")
        find.click(
            self.run_fit,
            [profile, upload, session, *quiz],
            [fit_view, fit_chart, session, upload],
            concurrency_id="fit",
        )
        fit_evidence.click(self.show_evidence, [session], [fit_evidence], queue=False)

    def run_fit(self, profile: str, upload, session: ChatSession, *quiz_answers):
        """Profile text + optional CV (read in memory, its temp file deleted at once) + quiz -> fit."""
        quiz = {
            skill: int(answer) for (skill, _), answer in zip(self.quiz_rows, quiz_answers) if answer not in (None, "")
        }
        profile = (profile or "").strip()
        preview = ""
        if upload is not None:
            path = Path(upload if isinstance(upload, str) else upload.name)
            try:
                file_text = self.lib.read_profile_file(path.name, path.read_bytes())
            except Exception as exc:  # too big, binary, unreadable: say so plainly and keep working
                return (
                    f'<div class="fit-error">{render.esc(upload_error_message(exc, path.name))}</div>',
                    None,
                    session,
                    None,
                )
            finally:
                delete_upload(path)
            preview = file_text
            profile = f"{profile}\n\n{file_text}".strip()
        if not profile and not quiz:
            return render.fit_html({"needs_more": True, "message": NOTHING_TO_FIT}, "tab"), None, session, None
        try:
            result = self.lib.fit(profile, quiz)
        except Exception as exc:
            log.exception("role fit failed")
            return f'<div class="fit-error">{render.esc(str(exc))}</div>', None, session, None
        fit_result = result.to_dict()
        session.fit = fit_result
        preview_html = (
            f'<details class="profile-read" open><summary>What we read from {render.esc(path.name)}'
            f'</summary><div class="profile-preview">{render.text_html(preview[:1500])}</div></details>'
            if preview
            else ""
        )
        figure = self.lib.fit_chart(result) if not result.needs_more else None
        return render.fit_html(fit_result, "tab") + preview_html, figure, session, None

    def show_evidence(self, session: ChatSession, evt: gr.EventData):
        key = render.parse_key(event_key(evt))
        if key is None or key.kind != "fit":
            return gr.skip()
        return fit_evidence_panel(self.lib, session.fit, key.number(1))
