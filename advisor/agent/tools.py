"""The advisor's capabilities as tools: plain functions over one index generation, and the same functions as
LangChain tools with typed arguments (for a tool-calling model). Every result carries the passages it read,
by id, so whatever a tool returns can be cited and checked."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import cached_property

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from ..audit import paper_sentences, verdict_summaries_by_passage, verdict_summaries_if_ready
from ..core.settings import Settings
from ..core.types import Evidence, Passage, Step
from ..corpus import PAPER_FILE, load_references, read_text
from ..fit import parse_table1
from ..retrieval import Retriever
from .claims import check_claims
from .references import lookup_reference
from .results import ToolResult, returned_passage_ids
from .sections import archetype_paragraphs, paper_parts, read_archetypes, read_section
from .state import organisation_names
from .table import TableView, lookup_table

log = logging.getLogger(__name__)


class Toolbox:
    """The tools over one retriever (one index generation). `wait_for_audit`: the claim check may run the
    ~10 s citation audit (a CLI call) or answers only once it is cached (an interactive chat)."""

    def __init__(
        self,
        retriever: Retriever,
        settings: Settings,
        retrieve: Callable[[str], list[Evidence]],
        wait_for_audit: bool = True,
        idf: Callable[[], dict[str, float]] | None = None,
    ):
        self.retriever = retriever
        self._retrieve = retrieve  # qa.AnswerEngine.retrieve: one definition of what a search returns
        self._idf = idf or dict  # the corpus's word weights for ranking sentences (qa.Vocabulary.idf)
        self.settings = settings
        self.embedder = retriever.embedder
        self.wait_for_audit = wait_for_audit
        self.passages: list[Passage] = list(retriever.index.passages)
        self.by_id = {p.id: p for p in self.passages}

    @cached_property
    def references(self):
        return load_references(self.settings.corpus_dir)

    @cached_property
    def organisations(self) -> dict[str, str]:
        return organisation_names(self.references)

    @cached_property
    def table(self) -> TableView:
        paper = read_text(self.settings.corpus_dir / PAPER_FILE)
        return TableView.build(parse_table1(paper, self.settings), self.passages)

    @cached_property
    def citing(self):
        return [s for s in paper_sentences(read_text(self.settings.corpus_dir / PAPER_FILE)) if s.refs]

    @cached_property
    def parts(self):
        return paper_parts(self.passages)

    @cached_property
    def archetypes(self):
        return archetype_paragraphs(self.passages)

    # -- the tools
    def search(self, query: str) -> list[Evidence]:
        """The answer engine's retrieval (hybrid search plus passages of the sources the best hits cite)."""
        return self._retrieve(query)

    def table1(self, request: str, roles: Sequence[str] = ()) -> ToolResult:
        return lookup_table(self.table, request, roles, self.embedder, self.settings.agent.table_min_score)

    def reference(self, request: str, numbers: Sequence[int] = ()) -> ToolResult:
        return lookup_reference(
            request,
            numbers,
            self.references,
            self.passages,
            self.citing,
            self.embedder,
            self.settings.agent.reference_min_similarity,
        )

    def claim_check(self, request: str, refs: Sequence[int] = ()) -> ToolResult:
        try:
            by_passage = (
                verdict_summaries_by_passage(self.settings, self.embedder)
                if self.wait_for_audit
                else verdict_summaries_if_ready(self.settings)
            )
        except Exception:  # the audit enriches answers; its failure must not break one
            log.exception("citation audit unavailable")
            by_passage = None
        return check_claims(request, refs, by_passage, self.references, self.by_id, self.embedder)

    def section(self, request: str) -> ToolResult:
        return read_section(request, self.parts, self.embedder, self.settings.agent.quote_sentences, self._idf())

    def organisation_archetypes(self, request: str) -> ToolResult:
        return read_archetypes(
            request, self.archetypes, self.embedder, self.settings.agent.quote_sentences, self._idf()
        )

    # -- as LangChain tools
    def langchain_tools(self, record: Callable[[Step, object], None] | None = None) -> list[BaseTool]:
        """The tools for a tool-calling model. `record(step, result)` sees every call (for the trace and for
        verifying the final draft against exactly what the tools returned)."""

        def wrap(name: str, fn: Callable[..., ToolResult | list[Evidence]], schema: type[BaseModel], doc: str):
            def run(**kwargs) -> dict:
                started = time.perf_counter()
                result = fn(**kwargs)
                ms = (time.perf_counter() - started) * 1000
                if isinstance(result, list):
                    payload = {"passages": [{"id": e.passage.id, "text": e.passage.text} for e in result]}
                    summary = f"{len(result)} passages"
                else:
                    payload = {
                        "statements": [{"text": s.text, "passages": list(s.passage_ids)} for s in result.statements],
                        "notes": list(result.notes),
                    }
                    summary = result.summary
                if record is not None:
                    record(Step(name, kwargs, summary, ms, returned_passage_ids(result)), result)
                return payload

            return StructuredTool.from_function(func=run, name=name, description=doc, args_schema=schema)

        return [
            wrap("search_passages", lambda query: self.search(query), SearchArgs, "Search the paper and its sources."),
            wrap(
                "table1",
                lambda request, roles=(): self.table1(request, roles),
                TableArgs,
                "Read Table 1 (skills x roles): a cell, a row, a role's column or two roles compared.",
            ),
            wrap(
                "references",
                lambda request, numbers=(): self.reference(request, numbers),
                ReferenceArgs,
                "Look up a cited reference by number, author, title or topic.",
            ),
            wrap(
                "claim_check",
                lambda request, refs=(): self.claim_check(request, refs),
                ClaimArgs,
                "Check whether the sources the paper cites support its claim (citation audit verdicts).",
            ),
            wrap(
                "paper_section",
                lambda request: self.section(request),
                SectionArgs,
                "Read a part of the paper: abstract, a section, limitations, conclusion, a figure caption.",
            ),
            wrap(
                "archetypes",
                lambda request: self.organisation_archetypes(request),
                SectionArgs,
                "Section 6: the organisation archetypes and how their hiring differs along the continuum.",
            ),
        ]


class SearchArgs(BaseModel):
    query: str = Field(description="what to search for, as a standalone question")


class TableArgs(BaseModel):
    request: str = Field(description="the skill or row asked about, in words (may be empty for a whole column)")
    roles: list[str] = Field(default_factory=list, description="role names exactly as in Table 1")


class ReferenceArgs(BaseModel):
    request: str = Field(description="author, title or topic of the reference")
    numbers: list[int] = Field(default_factory=list, description="reference numbers, e.g. [4]")


class ClaimArgs(BaseModel):
    request: str = Field(description="the paper's claim or its topic")
    refs: list[int] = Field(default_factory=list, description="the reference numbers whose citation to check")


class SectionArgs(BaseModel):
    request: str = Field(description="which part of the paper, or what about it")
