"""The advisor functions the app calls, bound to one Settings. Corpus files are read once."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterator
from functools import lru_cache

from advisor.audit import verdict_summaries_by_passage
from advisor.chat import stream_answer
from advisor.core.settings import Settings
from advisor.core.types import Passage
from advisor.corpus import PAPER_FILE, PAPER_TITLE, load_references, markdown_blocks, read_text
from advisor.fit import RoleFit, fit, parse_table1, plot_fit, read_profile_bytes
from advisor.retrieval import get_retriever

log = logging.getLogger("advisor.ui")

AnswerStream = Callable[[str, list[dict]], Iterator[dict]]

AUDIT_NOTES = {
    "running": "The citation audit is still running; reopen the section in a minute to see verdicts.",
    "failed": "The citation audit failed, so no verdicts are shown.",
    "not-loaded": "Citation verdicts are not loaded in this app.",
}


MODEL_NOTES = {
    "loading": "Loading the models (seconds after start); a question asked now waits for them.",
    "failed": "The models failed to load at start; the first question will try again.",
}


class Library:
    """What the tabs need from the advisor: answers, role fit, corpus files, passages, audit verdicts."""

    def __init__(self, settings: Settings, answer_stream: AnswerStream | None = None):
        self.settings = settings
        self.paper_text = read_text(settings.corpus_dir / PAPER_FILE)
        self.paper_blocks = markdown_blocks(self.paper_text)
        self.references = load_references(settings.corpus_dir)
        self.ref_titles = {n: ref.title for n, ref in self.references.items()}
        self.table1 = parse_table1(self.paper_text, settings)  # parsed once: the quiz and every chart use it
        self._answer_stream = answer_stream
        self.audit: list[dict] = []  # citation verdicts, filled by load_audit
        self.audit_status = "not-loaded"
        self.models_status = "not-loaded"  # `advisor serve` loads the models after the page is up

    def answer_stream(self, question: str, history: list[dict]) -> Iterator[dict]:
        if self._answer_stream is not None:
            return self._answer_stream(question, history)
        return stream_answer(question, history, settings=self.settings)

    @lru_cache(maxsize=64)  # noqa: B019 - one Library per app; the corpus files it caches are few and fixed
    def corpus_text(self, relative: str) -> str | None:
        """A corpus file's text (for highlighting a passage inside its paragraph); None if unreadable."""
        path = (self.settings.corpus_dir / relative).resolve()
        if self.settings.corpus_dir.resolve() not in path.parents:
            return None  # a passage never points outside the corpus; refuse rather than read it
        try:
            return read_text(path)
        except Exception:
            return None

    def passage(self, passage_id: str, fallback: dict) -> Passage:
        """The full Passage for an id (title and year included) from the live index; if the index no
        longer has it, one rebuilt from the fields a fit result carries."""
        index = get_retriever(self.settings, notify=log.info).index
        if passage_id in index.by_id:
            return index.by_id[passage_id]
        doc = str(fallback.get("doc", "paper"))
        ref = self.references.get(int(doc[4:])) if doc.startswith("ref-") and doc[4:].isdigit() else None
        return Passage(
            id=passage_id,
            text=fallback.get("text", ""),
            doc=doc,
            title=ref.title if ref else PAPER_TITLE,
            section=str(fallback.get("section", "")),
            section_title=fallback.get("section_title", ""),
            kind=fallback.get("kind") or "paragraph",
            cites=(),
            url=fallback.get("url", ""),
            file=fallback.get("file", ""),
            start=int(fallback.get("start", 0)),
            end=int(fallback.get("end", 0)),
            year=ref.year if ref else None,
        )

    def source_text(self, ref_id: int) -> str | None:
        ref = self.references.get(ref_id)
        if ref is None or not ref.source_file:
            return None
        return self.corpus_text(ref.source_file)

    def load_audit(self) -> None:
        """Compute (or read the cached) citation verdicts; slow the first time, so run in a thread."""
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

    def models_note(self) -> str:
        """What the page says while the models load (nothing once they are ready)."""
        return MODEL_NOTES.get(self.models_status, "")

    def audit_note(self) -> str:
        return AUDIT_NOTES.get(self.audit_status, "")

    def fit(self, profile: str, quiz: dict) -> RoleFit:
        return fit(profile or None, quiz or None, settings=self.settings)

    def read_profile_file(self, filename: str, data: bytes) -> str:
        return read_profile_bytes(filename, data, self.settings.fit.max_file_bytes)

    def fit_chart(self, result: RoleFit):
        """plot_fit's figure, or None when the chart cannot be drawn (the ranking stands without it)."""
        try:
            return plot_fit(result)
        except Exception:
            log.exception("role-fit chart failed")
            return None

    def fit_chart_png(self, result: RoleFit) -> str | None:
        """The fit chart as base64 PNG (for the chat), or None."""
        figure = self.fit_chart(result)
        if figure is None:
            return None
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    def quiz_rows(self) -> list[tuple[str, str]]:
        """(skill id, Table 1 label) per quiz question."""
        return [(row.id, row.label) for row in self.table1.rows]
