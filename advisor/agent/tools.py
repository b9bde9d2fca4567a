"""The advisor's capabilities as tools: plain functions over one index generation, and the same functions as
LangChain tools with typed arguments (for a tool-calling model). Every result carries the passages it read,
by id, so whatever a tool returns can be cited and checked."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property

import numpy as np
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from ..audit import paper_sentences, verdict_summaries_by_passage, verdict_summaries_if_ready
from ..core.settings import Settings
from ..core.text import normalize_for_match, quoted_phrases
from ..core.types import Evidence, Passage, PassageKind, Step
from ..corpus import PAPER_FILE, load_references, read_text
from ..fit import parse_table1, spelled_out_roles
from ..fit.roles import ROLE_MENTIONS
from ..grounding import encode_cached
from ..llm import prompts
from ..qa import Focus, passage_line, rank_sentences
from ..retrieval import Retriever, reciprocal_rank_fusion
from .claims import UncitedSentence, check_claims
from .fitting import definition_of
from .references import (
    co_cited,
    described_author,
    described_reference,
    lookup_reference,
    named_references,
    named_works,
    where_cited,
    where_said,
    work_names,
    written_by_named_people,
)
from .results import Statement, ToolResult, returned_passage_ids
from .sections import (
    Part,
    archetype_paragraphs,
    choose_part,
    paper_parts,
    read_archetypes,
    read_from_start,
    read_section,
)
from .state import organisation_names
from .table import TableView, lookup_table, names_table_content

log = logging.getLogger(__name__)


# the outline sentence of a list (prompts.SECTION_ITEMS, "Section 3 lists 7: A; B; …"), up to its citations
_OUTLINE = re.compile(r"\blists \d+: ([^\[“]+)")


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

    def published_by(self, organisation: str) -> list[int]:
        """The works an organisation published itself (its careers page, its job postings: "Amazon.com"'s too)."""
        return [
            number
            for number, ref in self.references.items()
            if len(ref.authors) == 1 and self.organisations.get(ref.authors[0].removesuffix(".com")) == organisation
        ]

    def organisation_passages(self, organisation: str, query: str, n: int) -> list[Evidence]:
        """The passages of the sources an organisation published itself (its careers page, its job postings)
        closest to the query: "should I even apply there?" is answered by what Anthropic's own page says."""
        own = self.published_by(organisation)
        vector = encode_cached(self.retriever.embedder, [query])[0]
        hits = self.retriever.best_in_sources(vector, n, own) if own else []
        return [Evidence(passage, sim, ("organisation",), {"dense_sim": sim}) for passage, sim in hits]

    @cached_property
    def table(self) -> TableView:
        paper = read_text(self.settings.corpus_dir / PAPER_FILE)
        return TableView.build(parse_table1(paper, self.settings), self.passages)

    @cached_property
    def sentences(self):
        """Every sentence of the paper's body, with the references its markers cite (read once)."""
        return paper_sentences(read_text(self.settings.corpus_dir / PAPER_FILE))

    @cached_property
    def _paper_words(self) -> str:
        return normalize_for_match(" ".join(s.text for s in self.sentences))

    def quotes_the_paper(self, text: str) -> bool:
        """Whether the text quotes words of the paper ("the 'primary responsibility' quote there"): it is about
        the sentence that holds them, not about whichever work the conversation was about."""
        phrases = [normalize_for_match(q) for q in quoted_phrases(text)]
        return any(len(q.split()) >= 2 and f" {q} " in f" {self._paper_words} " for q in phrases)

    @cached_property
    def citing(self):
        return [s for s in self.sentences if s.refs]

    @cached_property
    def uncited(self) -> list[UncitedSentence]:
        """The paper's body sentences that cite nothing, each in the passage (window) that holds it first."""
        paper = [p for p in self.passages if p.doc == "paper" and p.kind in (PassageKind.PARAGRAPH, PassageKind.BULLET)]
        out = []
        for sentence in self.sentences:
            holder = next((p for p in paper if p.start <= sentence.start and sentence.end <= p.end), None)
            if not sentence.refs and holder is not None and len(sentence.text.split()) >= 6:
                out.append(UncitedSentence(sentence.text, holder))
        return out

    @cached_property
    def parts(self):
        return paper_parts(self.passages)

    @cached_property
    def role_definitions(self) -> list[Passage]:
        """The paper's definitions of the four roles (Section 4's bullets), for the role-fit answer."""
        return [p for p in self.passages if p.doc == "paper" and p.section == "4" and p.kind == PassageKind.BULLET]

    def definition_passages(self, role: str, query: str, n: int = 2) -> list[Evidence]:
        """The passages of the paper's definition of `role` (Section 4) closest to the query, as evidence ranked
        below any search result: the paper's own account of a role beside what the search found."""
        return self._closest(definition_of(role, self.role_definitions), query, n, "definition")

    def organisation_account(self, organisation: str, query: str, n: int = 2) -> list[Evidence]:
        """The passages of the paper's own account of an organisation (its item of a section's list, "Amazon")
        closest to the query, ranked below any search result, as a role's definition is."""
        name = organisation.split()[-1].lower()  # "Google DeepMind" is the item "DeepMind (Google DeepMind)"
        part = next((p for p in self.parts if p.item and p.name.lower().startswith(name)), None)
        return self._closest(part.passages if part else [], query, n, "organisation")

    def _closest(self, passages: Sequence[Passage], query: str, n: int, found_by: str) -> list[Evidence]:
        """The n passages closest to the query, as evidence ranked below any search result."""
        if not passages:
            return []
        vectors = encode_cached(self.embedder, [query] + [p.text for p in passages])
        sims = vectors[1:] @ vectors[0]
        return [Evidence(passages[i], 0.0, (found_by,), {"dense_sim": float(sims[i])}) for i in np.argsort(-sims)[:n]]

    @cached_property
    def archetypes(self):
        return archetype_paragraphs(self.passages)

    # -- the tools
    def search(self, query: str, within: Sequence[int] = (), lead: bool = False, asked: str = "") -> list[Evidence]:
        """The answer engine's retrieval (hybrid search plus passages of the sources the best hits cite), and
        for each reference in `within` (what the conversation is about) its source's passages closest to the
        query: "how long did that hiring process take?" after a question about reference 4 is asked of it.
        `lead`: the question is about that source itself ("what does the second one propose?"), so its passages
        come first rather than after the search's. `asked`: a follow-up's own words: the source is already
        chosen, so what the turn asks of it ("what are its three key components?") picks its passages."""
        evidence = self._retrieve(spelled_out_roles(query))
        if asked and asked != query and self.settings.agent.own_words_weight > 0:
            evidence = self._fused_with_own_words(evidence, asked)
        if not within or self.settings.agent.focus_passages <= 0:
            return evidence
        have = {e.passage.id for e in evidence}
        # ranked below the search's passages, or above them when the question is about that source itself
        score = (
            max((e.score for e in evidence), default=1.0) * 1.01
            if lead
            else min((e.score for e in evidence), default=0.0) * 0.5
        )
        # cached: answerability and sentence ranking encode the same texts
        vector = encode_cached(self.retriever.embedder, [asked or query])[0]
        focused = []
        for ref in list(dict.fromkeys(within))[:2]:
            # a work asked about itself is read whole, closest first (its sentence that answers may share few words
            # with the question: "how big a model did megatron-lm train?" is answered by "8.3 billion parameter")
            n = self.settings.agent.lead_passages if lead else self.settings.agent.focus_passages
            # a work we hold no text of (a job posting we have only the entry of) is known by what the paper says
            # of it: "what does the paper say that posting looks for?"
            for passage, sim in self.retriever.best_in_source(ref, vector, n) or self._citing(ref, vector, n):
                if passage.id not in have or lead:
                    have.add(passage.id)
                    focused.append(Evidence(passage, score, ("conversation",), {"dense_sim": sim}))
        if lead:
            moved = {e.passage.id for e in focused}
            return focused + [e for e in evidence if e.passage.id not in moved]
        return evidence + focused

    def _citing(self, ref: int, vector, n: int) -> list[tuple[Passage, float]]:
        """The paper's passages that cite [ref], closest to the vector first."""
        citing = [p for p in self.passages if p.doc == "paper" and ref in p.cites and p.kind != PassageKind.REFERENCE]
        if not citing:
            return []
        sims = encode_cached(self.embedder, [p.text for p in citing]) @ vector
        return [(citing[i], float(sims[i])) for i in np.argsort(-sims)[:n]]

    def _fused_with_own_words(self, evidence: list[Evidence], asked: str) -> list[Evidence]:
        """The condensed question's search fused (reciprocal rank) with a search for the follow-up's own words:
        the previous question's words must not drown what the turn asks ("do REs actually publish?")."""
        own = self._retrieve(spelled_out_roles(asked))
        by_id = {e.passage.id: e for e in own} | {e.passage.id: e for e in evidence}
        fused = reciprocal_rank_fusion(
            {"condensed": [e.passage.id for e in evidence], "own": [e.passage.id for e in own]},
            k=self.settings.retrieval.rrf_k,
            weights={"condensed": 1.0, "own": self.settings.agent.own_words_weight},
        )
        return [by_id[pid] for pid, _, _ in fused[: len(evidence)]]

    def names_table_content(self, request: str) -> bool:
        """Whether the request uses Table 1's own words (a mark, a cell's note, a row's label)."""
        return names_table_content(self.table, request, self.embedder, self.settings.agent.table_word_similarity)

    def table1(self, request: str, roles: Sequence[str] = (), asked: str = "") -> ToolResult:
        """`asked`: a follow-up's own words, when the request is an earlier question read again for its rows."""
        knobs = self.settings.agent
        return lookup_table(
            self.table, request, roles, self.embedder, knobs.table_min_score, knobs.table_word_similarity, asked
        )

    def reference(self, request: str, numbers: Sequence[int] = (), asked: str = "") -> ToolResult:
        """`asked`: a follow-up's own words, when the request is condensed with the question before it."""
        return lookup_reference(
            request,
            numbers,
            self.references,
            self.passages,
            self.citing,
            self.embedder,
            self.settings.agent.reference_min_similarity,
            self.settings.agent.source_sentences,
            self.settings.agent.front_matter_similarity,
            asked,
        )

    @cached_property
    def work_names(self) -> tuple[str, ...]:
        """What people call the cited works ("ZeRO", "Megatron-LM", "Megatron")."""
        return tuple(name for ref in self.references.values() for name in work_names(ref))

    def named_references(self, text: str) -> list[int]:
        """The cited works the text names by an author or by their own name (no lookup, no similarity)."""
        return named_references(text, self.references, self.embedder.vocabulary)[0]

    def written_by_named_people(self, text: str) -> list[int]:
        """The cited works the text names by a person who wrote them (not by an organisation)."""
        return written_by_named_people(text, self.references, self.embedder.vocabulary)

    def named_works(self, text: str) -> list[int]:
        """The cited works the text calls by their name ("ReAct", "the ZeRO paper")."""
        return named_works(text, self.references)

    def co_cited(self, refs: Sequence[int]) -> list[int]:
        """The works the paper cites beside `refs`, in the same sentences."""
        return co_cited(refs, self.sentences)

    def describes_its_author(self, n: int) -> bool:
        """Whether our copy of reference n says who its author is (Zeng's role at Amazon), not only their name."""
        return bool(described_author(self.by_id.get(f"ref-{n}:reference")))

    def described(self, request: str, candidates: Sequence[int]) -> int | None:
        """The one of `candidates` the request describes ("who wrote the kNN one?"), if any."""
        return described_reference(
            request, candidates, self.references, self.openings, self.embedder, self.settings.agent.described_margin
        )

    @cached_property
    def openings(self) -> dict[int, str]:
        """Reference number -> the start of its source's abstract (what the work says it is about)."""
        first = {}
        for p in self.passages:
            if p.kind == PassageKind.ABSTRACT and p.ref and p.ref not in first:
                first[p.ref] = p.text[:300]
        return first

    def claim_check(self, request: str, refs: Sequence[int] = (), asked: str = "") -> ToolResult:
        """`asked`: a follow-up's own words, when the request is condensed with the question before it."""
        try:
            by_passage = (
                verdict_summaries_by_passage(self.settings, self.embedder)
                if self.wait_for_audit
                else verdict_summaries_if_ready(self.settings)
            )
        except Exception:  # the audit enriches answers; its failure must not break one
            log.exception("citation audit unavailable")
            by_passage = None
        return check_claims(
            request,
            refs,
            by_passage,
            self.references,
            self.by_id,
            self.embedder,
            asked,
            self.uncited,
            self.closest_source_words,
            self.settings.agent.uncited_claim_margin,
            self._idf(),
            self.settings.agent.own_words_share,
            self.settings.agent.claim_source_sentences,
        )

    def closest_source_words(self, text: str) -> tuple[Passage, str] | None:
        """The sentence of a source we hold that best matches text (a claim the paper cites nothing for), by
        the answer engine's own sentence ranking (meaning and shared words)."""
        hits = [p for p, _ in self.retriever.best_in_sources(encode_cached(self.embedder, [text])[0], n=4)]
        ranked = rank_sentences(text, [Evidence(p, 0.0, ()) for p in hits], self.embedder, self._idf(), 0.0)
        ranked = [r for r in ranked if len(r[2].split()) >= 4]
        return (hits[ranked[0][0] - 1], ranked[0][2]) if ranked else None

    def where_cited(self, refs: Sequence[int]) -> ToolResult:
        """The paper's sentences that cite the works, with their sections."""
        return where_cited(refs, self.citing, self.passages)

    def where_said(self, answer: str) -> ToolResult:
        """The paper's sentences an earlier answer quoted, with their sections."""
        items = {p.id: part.name for part in self.parts if part.item for p in part.passages}
        return where_said(answer, self.sentences, self.passages, items)

    def where_topic_said(self, request: str, evidence: Sequence[Evidence]) -> ToolResult:
        """Where the paper says what a request names ("which section mentions T-shaped skill profiles?"): the
        paper's sentence the passage search found closest to it, with its section. A phrase said once is found
        by its sentence, not by which part reads closest as a whole."""
        paper = [e for e in evidence if e.passage.doc == "paper" and e.passage.kind != PassageKind.REFERENCE]
        ranked = rank_sentences(request, paper, self.embedder, self._idf(), 0.0)
        return self.where_said(ranked[0][2]) if ranked else ToolResult(tool="paper_section", arguments={})

    def role_definition(self, role: str) -> ToolResult | None:
        """The paper's definition of a role (its item in Section 4's list), read from its start."""
        part = next((p for p in self.parts if p.item and ROLE_MENTIONS[role].search(p.name)), None)
        return self.read_part(part) if part is not None else None

    def read_part(self, part: Part, name_it: bool = False) -> ToolResult:
        """A part of the paper read from its start (`name_it`: saying first which part it is)."""
        return read_from_start(part, self.settings.agent.quote_sentences, name_it)

    def inner_part(self, request: str, read: ToolResult, focus: Focus | None = None) -> ToolResult | None:
        """The labelled paragraph (not list item) inside the part `read` that the request is closest to, read on
        its own, when it is closer than the part's own text: "and what do they want to do next?" after the
        conclusion asks its "Limitations" paragraph, which reading the conclusion leaves out."""
        holder = next((p for p in self.parts if p.name == read.arguments.get("part")), None)
        if holder is None:
            return None
        inner = [o for o in self.parts if not o.item and o is not holder and set(o.passages) < set(holder.passages)]
        if not inner:
            return None
        # the part's own text, as reading it quotes it: without the paragraphs inside it
        rest = replace(holder, passages=tuple(p for p in holder.passages if not any(p in o.passages for o in inner)))
        best, _ = choose_part(request, [rest, *inner], self.embedder, self._idf())
        if best is rest or best is None:
            return None
        return read_section(request, [best], self.embedder, self.settings.agent.quote_sentences, self._idf(), focus)

    def items_listed_in(self, answer: str) -> list[Part]:
        """The labelled list items of the paper an answer's outline names ("Section 3 lists 7: …"), in its order;
        names in its quotes ("For example, OpenAI …") list nothing."""
        outline = " ".join(_OUTLINE.findall(answer))
        named = [p for p in self.parts if p.item and p.name in outline]
        return sorted(named, key=lambda p: outline.index(p.name))

    def section(self, request: str, focus: Focus | None = None) -> ToolResult:
        """A part of the paper for the request; `focus`: a follow-up's own words and what was said before."""
        knobs = self.settings.agent
        return read_section(
            request,
            self.parts,
            self.embedder,
            knobs.quote_sentences,
            self._idf(),
            focus=focus,
            outline_similarity=knobs.part_outline_similarity,
        )

    def organisation_archetypes(self, request: str, within: Sequence[Passage] = ()) -> ToolResult:
        """Section 6's archetypes for the request; `within`: one archetype's paragraph, already chosen."""
        paragraphs = [tuple(within)] if within else self.archetypes
        knobs = self.settings.agent
        return read_archetypes(
            request, paragraphs, self.embedder, knobs.quote_sentences, self._idf(), knobs.archetype_name_weight
        )

    # -- as LangChain tools
    def langchain_tools(self, log: CallLog) -> list[BaseTool]:
        """The tools for a tool-calling model. Each call is recorded in `log`, which numbers every passage a
        tool returns once: the model cites those numbers, and its draft is verified against exactly them."""

        def wrap(name: str, fn: Callable[..., ToolResult | list[Evidence]], schema: type[BaseModel], doc: str):
            def run(**kwargs) -> str:
                return log.call(name, kwargs, lambda: fn(**kwargs))

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


class PlanAborted(RuntimeError):
    """Raised inside a tool call to stop a model's plan (it repeats itself, or its time is up). Not a tool
    error: the agent's tool node lets it through, so the run ends and the caller falls back."""


class CallLog:
    """What one tool-calling run asked and got: the steps (for the trace and the chat), and every passage a
    tool returned, numbered once in order of arrival, as Evidence the final draft is verified against."""

    def __init__(self, passages_by_id: dict[str, Passage], max_repeats: int = 1):
        self.by_id = passages_by_id
        self.steps: list[Step] = []
        self.evidence: list[Evidence] = []
        self.statements: list[tuple[Statement, tuple[int, ...]]] = []  # a tool's sentences, in log numbering
        self.max_repeats = max_repeats
        self.aborted = ""  # set from outside (the time is up) or inside (a repeated call): the reason
        self._numbers: dict[str, int] = {}
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()  # the agent may run several tool calls of one turn in parallel

    @property
    def tool_steps(self) -> list[Step]:
        return [s for s in self.steps if s.tool != "model"]

    def number(self, passage: Passage) -> int:
        if passage.id not in self._numbers:
            self.evidence.append(Evidence(passage, 0.0, ("tool",)))
            self._numbers[passage.id] = len(self.evidence)
        return self._numbers[passage.id]

    def call(self, name: str, arguments: dict, run: Callable[[], ToolResult | list[Evidence]]) -> str:
        """Run one tool call and return what the model reads: numbered passages, the tool's statements with
        their numbers, its notes; an error as text (the model may correct itself)."""
        key = f"{name} {json.dumps(arguments, sort_keys=True, default=str)}"
        with self._lock:
            if self.aborted:
                raise PlanAborted(self.aborted)
            self._seen[key] += 1
            if self._seen[key] > self.max_repeats + 1:
                self.aborted = f"the model repeated the call {name}({describe_arguments(arguments)})"
                raise PlanAborted(self.aborted)
        started = time.perf_counter()
        try:
            result = run()
        except PlanAborted:
            raise
        except Exception as exc:  # a failing tool is reported to the model and in the trace, never raised
            log.exception("tool %s failed", name)
            with self._lock:
                self.steps.append(Step(name, arguments, f"error: {exc.__class__.__name__}", _ms(started)))
            return prompts.TOOL_ERROR.format(tool=name, error=f"{exc.__class__.__name__}: {exc}"[:200])
        with self._lock:
            return self._record(name, arguments, result, started)

    def _record(self, name: str, arguments: dict, result: ToolResult | list[Evidence], started: float) -> str:
        if isinstance(result, list):
            passages, statements, notes, summary = [e.passage for e in result], (), (), f"{len(result)} passages"
        else:
            passages = list(result.passages)
            statements, notes, summary = result.statements, result.notes, result.summary
        lines = [prompts.TOOL_PASSAGES] if passages else [prompts.TOOL_NOTHING]
        lines += [passage_line(self.number(p), p) for p in passages]
        said = []
        for statement in statements:
            numbers = tuple(self.number(self.by_id[pid]) for pid in statement.passage_ids if pid in self.by_id)
            if numbers:
                self.statements.append((statement, numbers))
                said.append(f"- {statement.text} " + "".join(f"[{n}]" for n in numbers))
        if said:
            lines += [prompts.TOOL_STATEMENTS, *said]
        lines += [prompts.TOOL_NOTE.format(note=n) for n in notes]
        self.steps.append(Step(name, arguments, summary, _ms(started), returned_passage_ids(result)))
        return "\n".join(lines)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def describe_arguments(arguments: dict, limit: int | None = 100) -> str:
    """A tool call's arguments as one short line: "request='publication', roles=[]"."""
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())[:limit]


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
