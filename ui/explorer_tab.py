"""The Evidence explorer tab: the paper section by section, every citation opening its reference, the
source text we hold and the audit's verdicts."""

import gradio as gr

from . import render
from .library import Library
from .widgets import cite_listener_js, event_key


class ExplorerTab:
    def __init__(self, lib: Library):
        self.lib = lib
        self.sections = render.paper_sections(lib.paper_blocks)
        self.citing = render.citing_sentences(lib.paper_text, lib.paper_blocks, lib.references)

    def build(self, demo: gr.Blocks) -> None:
        first_section = next((key for key, _ in self.sections if key.isdigit()), self.sections[0][0])
        with gr.Tab("Evidence explorer", elem_id="tab-explorer"), gr.Row(equal_height=False):
            with gr.Column(scale=3):
                section = gr.Dropdown(
                    choices=[(label, key) for key, label in self.sections],
                    value=first_section,
                    label="Section of the paper",
                    elem_id="section",
                )
                paper_view = gr.HTML(self.show_section(first_section), elem_id="paper-view")
            with gr.Column(scale=2, elem_classes=["evidence-column"]):
                gr.Markdown("#### Reference")
                reference = gr.HTML(
                    render.empty_panel_html(
                        "Click a reference such as [12] to see its entry and the source text we hold."
                    ),
                    js_on_load=cite_listener_js("tab-explorer"),
                    elem_id="reference-panel",
                    min_height=200,
                )
        section.change(self.show_section, [section], [paper_view], queue=False)
        demo.load(self.show_section, [section], [paper_view], queue=False)  # picks up verdicts that arrived since
        reference.click(self.show_reference, None, [reference], queue=False)

    def show_section(self, section: str):
        lib = self.lib
        return render.explorer_section_html(
            lib.paper_text, lib.paper_blocks, section, lib.ref_titles, lib.audit, lib.audit_note()
        )

    def show_reference(self, evt: gr.EventData):
        key = render.parse_key(event_key(evt))
        if key is None or key.kind != "ref" or key.number(0) not in self.lib.references:
            return gr.skip()
        ref_id = key.number(0)
        return render.reference_panel_html(
            self.lib.references[ref_id],
            self.lib.source_text(ref_id),
            [c for c in self.citing if ref_id in c.refs],
            self.lib.audit,
        )
