"""The answer pipeline: question -> evidence -> cited draft -> per-sentence verification -> Answer.

The pipeline, not the model, guarantees grounding: a drafted sentence reaches the user only if the
passages it cites support it; otherwise the answer falls back to quoted evidence sentences, and when
the evidence does not cover the question the advisor says so and cites nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import cached_property

from langchain_core.language_models.chat_models import BaseChatModel

from ..core.cache import OnceCache
from ..core.settings import Settings, get_settings
from ..core.text import prepare_input
from ..core.types import Answer, Evidence, Mode, PassageKind
from ..corpus import Reference, load_references
from ..llm import Backend, BackendError, BackendNotInstalled, get_backend, prompts, resolve_spec
from ..retrieval import Retriever, get_retriever
from .compose import Focus, assemble, evidence_claims
from .coverage import Vocabulary, assess_coverage
from .draft import draft_messages, stream_draft
from .followup import condense_question
from .verify import Verified, non_redundant, verify_draft


def prepare_question(raw: str | None, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """The question as answered (white space collapsed, cut to max_chars) and its notices.
    Raises core.text.InputError for an empty question."""
    return prepare_input(raw, max_chars, empty=prompts.EMPTY_QUESTION, truncated=prompts.TRUNCATED)


class Stopwatch:
    """Named durations since a start, for the answer's `timings`."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def mark(self, name: str, since: float | None = None) -> None:
        now = time.perf_counter()
        self.timings[name] = now - (self.started if since is None else since)


class AnswerEngine:
    """Holds the retriever and the backend; `stream` yields events, `ask` returns the Answer."""

    def __init__(
        self,
        settings: Settings | None = None,
        retriever: Retriever | None = None,
        llm: str | BaseChatModel | None = None,
        backend_name: str | None = None,
    ):
        self.settings = settings or get_settings()
        self.retriever = retriever or get_retriever(self.settings)
        self.embedder = self.retriever.embedder
        self._llm = llm
        self._backend_name = backend_name
        self._backend: Backend | None = None
        self._backend_error: str | None = None
        self._backend_spec: str | None = None  # "auto" resolved once (it probes a server)
        self._backend_pending = False
        self._vocabularies: OnceCache[Vocabulary] = OnceCache(maxsize=1)  # one per index generation

    @cached_property
    def works(self) -> dict[int, Reference]:
        """The cited works by number: a quotation from one says whose words it is."""
        return load_references(self.settings.corpus_dir)

    def backend(self) -> Backend | None:
        """The chat model, made once; a backend that failed stays failed, except the bundled model while
        its runtime is still being installed (asked again on every call, so the app picks it up)."""
        if self._backend is None and (self._backend_error is None or self._backend_pending):
            if isinstance(self._llm, BaseChatModel):
                self._backend = Backend(self._backend_name or "custom", self._llm, reports_finish=False)
            else:
                try:
                    self._backend_spec = self._backend_spec or resolve_spec(self._llm, self.settings)
                    self._backend = get_backend(self._backend_spec, self.settings)
                    self._backend_error, self._backend_pending = None, False
                except BackendError as exc:
                    self._backend_error, self._backend_pending = str(exc), isinstance(exc, BackendNotInstalled)
        return self._backend

    @property
    def backend_label(self) -> str:
        backend = self.backend()
        return backend.name if backend else "none"

    def backend_notices(self) -> list[str]:
        """A notice when a backend was asked for but cannot be used (not for an explicit `none`)."""
        if self.backend() is None and self._backend_error and "none" not in str(self._llm or ""):
            return [prompts.BACKEND_FAILED.format(reason=self._backend_error)]
        return []

    def vocabulary(self) -> Vocabulary:
        index = self.retriever.index

        def build() -> Vocabulary:
            cache = index.settings.index_dir / index.generation / "vocabulary.npz"
            return Vocabulary(index.passages, self.embedder, cache if cache.parent.exists() else None)

        return self._vocabularies.get(index.generation, build)

    def retrieve(self, question: str) -> list[Evidence]:
        evidence = self.retriever.search(question, self.settings.answer.passages)
        expanded = self.retriever.expand_citations(evidence[:2], question)
        extra = [e for e in expanded[len(evidence[:2]) :] if e.passage.kind != PassageKind.REFERENCE]
        found = evidence + extra[:2]
        # The windows around the best hit: a paragraph is cut into windows of a few sentences, and the sentence
        # that answers is often the one the cut put next door ("This DevOps-style approach to ML (sometimes called
        # MLOps) …" follows "Tools like Docker, Kubernetes …"). They come last, so the ranked passages keep their
        # places (what the planner and the answerability features read).
        have = {e.passage.id for e in found}
        windows = [
            Evidence(p, evidence[0].score * 0.5, ("window",), {"via": evidence[0].passage.id})
            for p in (self.retriever.adjacent_windows(evidence[0].passage) if evidence else [])
            if p.id not in have
        ]
        return found + windows

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        """Events: {"type": "status"|"token", "text"} ... then {"type": "answer", "answer": Answer}."""
        clock = Stopwatch()
        text, notices = prepare_question(question, self.settings.answer.max_question_chars)
        notices = list(notices) + self.backend_notices()
        backend = self.backend()
        standalone = condense_question(text, history or [], backend)
        if standalone != text:
            yield {"type": "status", "text": f"Searching for: {standalone}"}
        evidence = self.retrieve(standalone)
        clock.mark("retrieve_s")
        coverage = assess_coverage(standalone, evidence, self.vocabulary(), self.settings)
        if not coverage.covered:
            clock.mark("total_s")
            yield {
                "type": "answer",
                "answer": self.not_covered(text, standalone, evidence, notices + [coverage.reason], clock),
            }
            return
        yield from self.stream_from_evidence(text, standalone, evidence, notices, clock)

    def not_covered(
        self,
        text: str,
        standalone: str,
        evidence: Sequence[Evidence],
        notices: Sequence[str],
        clock: Stopwatch,
        **fields,
    ) -> Answer:
        """The honest refusal: no answer sentence, the nearest passages as related reading only."""
        return Answer(
            question=text,
            answer=prompts.NOT_COVERED,
            citations=(),
            claims=(),
            grounded=False,
            mode=Mode.NOT_COVERED,
            related=tuple(evidence[:3]),
            notices=tuple(notices),
            timings=clock.timings,
            backend=self.backend_label,
            standalone_question=standalone,
            **fields,
        )

    def stream_from_evidence(
        self,
        text: str,
        standalone: str,
        evidence: list[Evidence],
        notices: list[str],
        clock: Stopwatch,
        draft_allowed: bool = True,
        focus: Focus | None = None,
        **fields,
    ) -> Iterator[dict]:
        """Draft (if a backend is configured), verify, compose: events, then the answer."""
        backend = self.backend() if draft_allowed else None
        common = {"backend": self.backend_label, "standalone_question": standalone, **fields}
        draft = ""
        if backend is not None:
            # The verified evidence answer first: the reader has it while the (slower, bounded) draft runs.
            quotes, _ = self.compose(standalone, evidence, Verified([], 0, []), focus)
            yield {
                "type": "preview",
                "answer": assemble(
                    text, quotes, evidence, self.works, grounded=bool(quotes), mode=Mode.EVIDENCE, **common
                ),
            }
            yield {"type": "status", "text": "Drafting an answer from the passages…"}
            draft_started = time.perf_counter()
            try:
                for token in stream_draft(backend, draft_messages(standalone, evidence), self.settings.llm.timeout_s):
                    if not draft:
                        clock.mark("first_token_s")
                    draft += token
                    yield {"type": "token", "text": token}
            except Exception as exc:  # any backend failure degrades to the evidence answer
                notices.append(prompts.BACKEND_FAILED.format(reason=f"{exc.__class__.__name__}: {exc}"[:200]))
                draft = ""
            clock.mark("draft_s", since=draft_started)
        verify_started = time.perf_counter()
        verified = (
            verify_draft(draft, evidence, self.embedder, self.settings, self.vocabulary())
            if draft
            else Verified([], 0, [])
        )
        clock.mark("verify_s", since=verify_started)
        claims, mode = self.compose(standalone, evidence, verified, focus)
        if mode == Mode.EVIDENCE and draft and verified.total:
            notices.append(prompts.DRAFT_DROPPED)
        clock.mark("total_s")
        clock.timings["draft_sentences"] = float(verified.total)
        clock.timings["draft_kept"] = float(len(verified.claims))
        yield {
            "type": "answer",
            "answer": assemble(
                text,
                claims,
                evidence,
                self.works,
                grounded=bool(claims),
                mode=mode,
                notices=tuple(notices),
                draft=draft,
                timings=clock.timings,
                **common,
            ),
        }

    def compose(self, question: str, evidence: Sequence[Evidence], verified: Verified, focus: Focus | None = None):
        """Grounded: the most direct evidence sentences, then the model's verified sentences that add to
        them. Evidence: quoted evidence sentences alone, when too little of the draft survived."""
        knobs = self.settings.answer
        best, quotes = evidence_claims(question, evidence, self.embedder, self.settings, self.vocabulary().idf, focus)
        survived = len(verified.claims) / verified.total if verified.total else 0.0
        if verified.claims and survived >= knobs.min_surviving_share:
            lead = best[: knobs.grounded_lead_quotes]
            return lead + non_redundant(
                verified.claims, lead, self.embedder, knobs.redundancy_similarity
            ), Mode.GROUNDED
        return quotes, Mode.EVIDENCE

    def ask(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if event["type"] == "answer":
                final = event["answer"]
        assert final is not None, "the answer stream ended without an answer"
        return final
