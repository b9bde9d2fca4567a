"""Pieces every tab uses: static assets, the evidence column with its click listener, chip keys."""

import json
from pathlib import Path

import gradio as gr

from . import render
from .library import Library

STATIC = Path(__file__).resolve().parent / "static"


def static_text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def cite_listener_js(scope: str) -> str:
    return static_text("cite_listener.js").replace("__SCOPE__", json.dumps(scope))


def evidence_column(tab: str, elem_id: str) -> gr.HTML:
    """The evidence panel beside a tab's main column; citation chips clicked inside the tab open here."""
    with gr.Column(scale=2, elem_classes=["evidence-column"]):
        gr.Markdown("#### Evidence")
        return gr.HTML(render.empty_panel_html(), js_on_load=cite_listener_js(tab), elem_id=elem_id, min_height=200)


def event_key(evt) -> str | None:
    """The chip key a click listener sent with trigger('click', {key})."""
    try:
        return evt.key
    except (AttributeError, TypeError):
        return None


def fit_evidence_panel(lib: Library, fit_result: dict | None, index: int, compact: bool = False):
    """The passage behind the index-th citation chip of a role-fit result."""
    cited = render.fit_citations(fit_result or {}, compact)
    if index >= len(cited):
        return gr.skip()
    data = cited[index]
    passage = lib.passage(data.get("id", ""), data)
    return render.passage_panel_html(
        passage, lib.corpus_text(passage.file), label=f"[{index + 1}]", note="Cited by the role-fit result."
    )
