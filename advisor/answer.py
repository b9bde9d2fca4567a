"""The answer pipeline: question → evidence → cited draft → per-sentence verification → Answer.

The pipeline, not the model, guarantees grounding: a drafted sentence reaches the user only if the
passages it cites support it; otherwise the answer falls back to quoted evidence sentences, and when
the evidence does not cover the question the advisor says so and cites nothing.
"""

from __future__ import annotations

import difflib
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from . import prompts
from .ground import STOPWORDS, content_words, encode_cached, passage_sentences, score_support, split_claims, stem, words_of
from .llm import Backend, BackendError, get_backend
from .retrieve import Retriever, get_retriever
from .settings import Settings, get_settings
from .text import strip_markdown
from .types import Answer, Citation, Claim, Evidence, Passage

log = logging.getLogger(__name__)


class QuestionError(ValueError):
    """The question cannot be answered as given (e.g. it is empty)."""


# ---------------------------------------------------------------- input


def prepare_question(raw: str | None, max_chars: int) -> tuple[str, tuple[str, ...]]:
    text = re.sub(r"\s+", " ", raw or "").strip()
    if not text:
        raise QuestionError("The question is empty: ask something about AI research or engineering roles.")
    if len(text) > max_chars:
        cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
        return cut, (prompts.TRUNCATED.format(length=len(text), limit=max_chars),)
    return text, ()


# ---------------------------------------------------------------- follow-ups

_ENTITY_GROUPS = (
    ("Google DeepMind", "DeepMind", "OpenAI", "Anthropic", "Meta", "Facebook", "Amazon", "Microsoft", "Google"),
    ("research scientists", "research scientist", "research engineers", "research engineer", "applied scientists",
     "applied scientist", "ML engineers", "ML engineer", "machine learning engineers", "machine learning engineer"),
)
_FOLLOW_UP_START = re.compile(r"^(and|but|also|what about|how about|same for|and what about|what of)\b", re.I)
_PRONOUN = re.compile(r"\b(they|them|their|it|its|that role|this role|those|there|he|she)\b", re.I)


def _entities(text: str, group: Sequence[str]) -> list[str]:
    found = []
    for name in group:  # longest names first within a group keep "Google DeepMind" whole
        if re.search(rf"\b{re.escape(name)}\b", text, re.I) and not any(name.lower() in f.lower() for f in found):
            found.append(name)
    return found


def looks_like_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question) or len(question.split()) <= 4)


def condense_deterministic(question: str, history: Sequence[dict]) -> str:
    """Rewrite a follow-up into a standalone question without a model: swap the entity it names into
    the previous question ("and at Meta?" after "...research scientists at Amazon?"), else append it."""
    previous = next((m["content"] for m in reversed(history or []) if m.get("role") == "user"), None)
    if not previous or not looks_like_follow_up(question):
        return question
    rewritten, swapped = previous, False
    for group in _ENTITY_GROUPS:
        new, old = _entities(question, group), _entities(previous, group)
        if new and old and new[0].lower() != old[0].lower():
            rewritten = re.sub(rf"\b{re.escape(old[0])}\b", new[0], rewritten, flags=re.I)
            swapped = True
    if swapped:
        return rewritten
    return f"{previous.rstrip('?. ')} — {question}"


def condense_question(question: str, history: Sequence[dict], backend: Backend | None) -> str:
    if not history:
        return question
    if backend is None or backend.name.startswith("local"):
        return condense_deterministic(question, history)  # SmolLM2-135M cannot rewrite reliably
    turns = "\n".join(f"{m['role']}: {strip_markdown(str(m['content']))[:500]}" for m in history[-6:])
    try:
        reply = backend.model.invoke([SystemMessage(prompts.CONDENSE_SYSTEM),
                                      HumanMessage(prompts.CONDENSE_USER.format(history=turns, question=question))])
        text = str(reply.content).strip().split("\n")[0].strip()
        return text if 3 <= len(text) <= 500 else condense_deterministic(question, history)
    except Exception:
        return condense_deterministic(question, history)


# ---------------------------------------------------------------- coverage (honest refusal)

_QUESTION_WORDS = frozenset("""what which who whom whose why how when where does do did is are was were can could should
would will shall may might must tell explain describe say says list give name anyone someone something paper
source sources role roles""".split())
# Words that frame a question rather than name its topic: that the corpus never uses "insist" or "basis"
# says nothing about whether it covers "why does OpenAI insist on ..." or "on what basis are ... evaluated".
_FRAMING_WORDS = frozenset("""want wants wanted wanting wont wouldnt dont doesnt isnt arent cant need needs needed
let lets letting insist insists insisted suppose supposed expect expects expected consider considered count
counts mean means meant happen happens happened seem seems seemed signal signals sort kind kinds type types
way ways thing things stuff lot lots bit basis period fraction part parts point points reason reasons case
cases sense ahead anyway actually really basically generally usually typically exactly eventually currently
nowadays today overall main mainly mostly often ever still even also instead rather pretty quite good bad
better best worse worst big small huge tiny right wrong true false real okay sure like likely possible
possibly probably guess think know knows learn pick picking picked get gets getting got take takes taking
look looking looks come comes coming came go goes going went make makes making made keep keeps put puts
resort resorting end ends ending""".split())


class Vocabulary:
    """The corpus's words (stemmed) and, for words a question uses that the corpus does not, a
    MiniLM neighbour check: 'doctorate' is covered by 'PhD' (cosine 0.85), 'salary' is not (0.52)."""

    def __init__(self, passages: Sequence[Passage], embedder, cache_file=None):
        words = sorted({w for p in passages for w in words_of(p.index_text) if len(w) > 2 and not w.isdigit()})
        df: dict[str, int] = {}
        for p in passages:
            for w in set(content_words(p.text)):
                df[w] = df.get(w, 0) + 1
        n = max(len(passages), 1)
        # Inverse document frequency of each stem: 'side' (rare) matters more than 'research' (everywhere).
        self.idf = {w: float(np.log(1 + n / c)) for w, c in df.items()}
        self.default_idf = float(np.log(1 + n))
        self.stems = frozenset(stem(w) for w in words) | frozenset(words)
        self.words = words
        self._embedder = embedder
        self._cache_file = cache_file
        self._vectors: np.ndarray | None = None

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            if self._cache_file is not None and self._cache_file.exists():
                data = np.load(self._cache_file)
                if list(data["words"]) == self.words:
                    self._vectors = data["vectors"]
            if self._vectors is None:
                self._vectors = self._embedder.encode(self.words)
                if self._cache_file is not None:
                    try:
                        np.savez(self._cache_file, words=np.array(self.words), vectors=self._vectors)
                    except OSError:
                        pass  # a read-only index still works, it just recomputes next time
        return self._vectors

    def spelled_like_known(self, word: str) -> bool:
        """A typo ("reserach") or a clipped form ("param", "infra") of a corpus word is that word."""
        if 4 <= len(word) < 8 and any(w.startswith(word) and len(w) > len(word) for w in self.words):
            return True
        return len(word) >= 6 and bool(difflib.get_close_matches(word, self.words, n=1, cutoff=0.85))

    def unknown(self, words: Sequence[str], min_similarity: float) -> tuple[str, ...]:
        """The words with neither an exact (stemmed) match nor a close neighbour in the corpus."""
        candidates = [w for w in words if w not in self.stems and stem(w) not in self.stems
                      and not self.spelled_like_known(w)]
        if not candidates:
            return ()
        sims = self._embedder.encode(candidates) @ self.vectors().T
        return tuple(w for w, row in zip(candidates, sims) if float(row.max()) < min_similarity)


@dataclass(frozen=True)
class Coverage:
    covered: bool
    best_similarity: float
    unknown_words: tuple[str, ...]
    reason: str


def assess_coverage(question: str, evidence: Sequence[Evidence], vocabulary: Vocabulary,
                    settings: Settings) -> Coverage:
    """Covered when the evidence is close enough to the question and no focus word of the
    question is absent from the whole corpus (a 'salary' question is not answered by passages
    about pay in general)."""
    best = max((e.ranks.get("dense_sim") or 0.0 for e in evidence), default=0.0)
    words = [w for w in words_of(question) if w not in _QUESTION_WORDS and w not in STOPWORDS
             and w.replace("'", "") not in _FRAMING_WORDS and not w.isdigit() and len(w) > 2]
    unknown = vocabulary.unknown(list(dict.fromkeys(words)), settings.coverage_word_similarity)
    if best < settings.coverage_min_similarity:
        return Coverage(False, best, unknown, f"best passage similarity {best:.2f} < {settings.coverage_min_similarity}")
    if unknown and best < settings.coverage_strong_similarity:
        return Coverage(False, best, unknown, f"the sources never mention: {', '.join(unknown)}")
    focus = {stem(w) for w in words}
    share = max((len(focus & {stem(w) for w in words_of(e.passage.index_text)}) / len(focus)
                 for e in evidence[:5]), default=0.0) if focus else 1.0
    if share < settings.coverage_min_word_share:
        return Coverage(False, best, unknown, f"no passage mentions most of the question's words ({share:.0%})")
    if _QUANTITY.search(question) and not any(re.search(r"\d", e.passage.text) for e in evidence[:3]):
        return Coverage(False, best, unknown, "the question asks for a quantity and no retrieved passage states one")
    return Coverage(True, best, unknown, "covered")


_QUANTITY = re.compile(r"\b(how many|how much|how long|how often|what percentage|what proportion|rate|salary|"
                       r"salaries|cost|price|number of)\b", re.I)


# ---------------------------------------------------------------- prompt and draft

_INJECTION = re.compile(r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|sources?|prompt|rules)\b|"
                        r"\byou are now\b|\bsystem prompt\b|\bsay (that )?the best role\b", re.I)


def is_instruction_like(text: str) -> bool:
    """Text in a passage that addresses the model rather than the reader."""
    return bool(_INJECTION.search(text))


def numbered_passages_text(evidence: Sequence[Evidence]) -> str:
    lines = []
    for n, ev in enumerate(evidence, 1):
        p = ev.passage
        where = f"paper §{p.section}" if p.doc == "paper" else f"source [{p.doc.split('-')[1]}]"
        body = " ".join(s for s in passage_sentences(p) if not is_instruction_like(s))
        lines.append(prompts.PASSAGE_LINE.format(n=n, where=where, text=body, title=p.title))
    return "\n".join(lines)


def draft_messages(question: str, evidence: Sequence[Evidence]) -> list:
    return [SystemMessage(prompts.ANSWER_SYSTEM),
            HumanMessage(prompts.ANSWER_USER.format(passages=numbered_passages_text(evidence), question=question))]


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verified:
    claims: list[Claim]  # kept sentences, citations in the numbering of `evidence`
    total: int  # drafted sentences
    dropped: list[str]


def verify_draft(draft: str, evidence: Sequence[Evidence], embedder, settings: Settings) -> Verified:
    """Keep a drafted sentence only if the passages it cites support it. Markers that point at no
    passage are removed; a sentence without a (valid) marker may keep the one passage that supports it."""
    kept: list[Claim] = []
    dropped: list[str] = []
    sentences = [s for s in split_claims(_strip_echoed_labels(draft)) if not _is_refusal_sentence(s.text)]
    seen: set[str] = set()
    for sentence in sentences[: settings.answer_max_sentences * 2]:
        key = normalize_ws(re.sub(r"[^\w\s]", "", sentence.text))
        if key in seen:  # small models repeat themselves; a repeated sentence is dropped, not re-shown
            dropped.append(sentence.text)
            continue
        seen.add(key)
        if is_instruction_like(sentence.text):
            dropped.append(sentence.text)
            continue
        # Each citation must stand on its own: a marker stays only if its passage alone supports the
        # sentence (markers to passages that do not exist are simply gone). A sentence with no valid
        # marker may keep the single retrieved passage that supports it best.
        valid = tuple(n for n in sentence.citations if 1 <= n <= len(evidence))
        candidates = valid or tuple(range(1, len(evidence) + 1))
        scored = [(n, score_support(sentence.text, [_clean_passage(evidence[n - 1].passage)], embedder, settings))
                  for n in candidates]
        supporting = [(n, sup) for n, sup in scored if sup.supported]
        if not supporting:
            dropped.append(sentence.text)
            continue
        if not valid:
            supporting = [max(supporting, key=lambda item: item[1].score)]
        kept.append(Claim(sentence.text, tuple(n for n, _ in supporting),
                          max(sup.score for _, sup in supporting), True, "draft"))
        if len(kept) >= settings.answer_max_sentences:
            break
    return Verified(kept, len(sentences), dropped)


def _strip_echoed_labels(draft: str) -> str:
    """Small models echo the passage list ("[1] (source [1]) Every paper…"); keep the words, move
    a leading marker to the end of its line so it still cites."""
    lines = []
    for line in draft.splitlines():
        line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line)
        lead = re.match(r"^\s*(\[\d+\])\s*(?:\((?:source|paper)[^)]*\)\s*)?(.*)$", line)
        if lead and lead.group(2):
            line = f"{lead.group(2).rstrip()} {lead.group(1)}"
        lines.append(re.sub(r"\((?:source|paper)\s*(?:§|\[)?[\w\s.\]]*\)\s*", "", line))
    return "\n".join(lines)


def non_redundant(claims: Sequence[Claim], already: Sequence[Claim], embedder, max_similarity: float = 0.85) -> list[Claim]:
    """Claims that do not restate one already shown (cosine below max_similarity)."""
    if not already or not claims:
        return list(claims)
    vectors = encode_cached(embedder, [c.text.strip("“”") for c in already] + [c.text for c in claims])
    shown, new = vectors[: len(already)], vectors[len(already):]
    return [c for c, v in zip(claims, new) if float((shown @ v).max()) < max_similarity]


def _is_refusal_sentence(text: str) -> bool:
    return bool(re.search(r"sources do not cover|cannot answer|can't answer|no information", text, re.I))


def _clean_passage(passage: Passage) -> Passage:
    """A passage with instruction-like sentences blanked, so injected text can never count as support."""
    if not is_instruction_like(passage.text):
        return passage
    text = " ".join(s for s in passage_sentences(passage) if not is_instruction_like(s))
    return replace(passage, text=text)


# ---------------------------------------------------------------- evidence answer


def evidence_claims(question: str, evidence: Sequence[Evidence], embedder, settings: Settings,
                    idf: dict[str, float] | None = None) -> tuple[list[Claim], list[Claim]]:
    """The best evidence sentences for the question, quoted and cited: (best first, in reading order).
    Sentence score = cosine to the question + IDF-weighted share of the question's content words in it."""
    question_words = set(content_words(question)) - _QUESTION_WORDS
    weight = {w: (idf or {}).get(w, 1.0) for w in question_words}
    total_weight = sum(weight.values()) or 1.0
    candidates: list[tuple[int, int, str, bool]] = []  # (evidence number, position, sentence, is reference)
    for n, ev in enumerate(evidence, 1):
        if ev.passage.kind == "reference" and ev.passage.doc != "paper":
            continue  # a source's metadata header reads badly as an answer sentence
        is_reference = ev.passage.kind == "reference"
        for i, sentence in enumerate(_raw_sentences(ev.passage)):
            if len(sentence.split()) >= 4 and not is_instruction_like(sentence):
                candidates.append((n, i, sentence.strip(), is_reference))
    if not candidates:
        return [], []
    vectors = encode_cached(embedder, [question] + [c[2] for c in candidates])
    sims = vectors[1:] @ vectors[0]
    scores = []
    asks_for_works = bool(_ASKS_FOR_WORKS.search(question))
    for (n, _, sentence, is_reference), sim in zip(candidates, sims):
        words = set(content_words(sentence))
        overlap = sum(weight[w] for w in question_words & words) / total_weight
        rank_bonus = 0.02 * (len(evidence) - n)  # retrieval order breaks near-ties
        # A bibliography line answers "who wrote X" but reads badly as an answer to anything else.
        penalty = 0.3 if is_reference and not asks_for_works else 0.0
        scores.append(float(sim) + 0.5 * overlap + rank_bonus - penalty)
    order = np.argsort(-np.asarray(scores))
    chosen: list[tuple[int, int, str, float]] = []
    for idx in order:
        n, pos, sentence, _ = candidates[idx]
        if any(normalize_ws(sentence) == normalize_ws(c[2]) for c in chosen):
            continue
        chosen.append((n, pos, sentence, scores[idx]))
        if len(chosen) >= settings.evidence_sentences:
            break
    def claims(rows):
        return [Claim(_quote(sentence), (n,), 1.0, True, "quote") for n, _, sentence, _ in rows]

    return claims(chosen), claims(sorted(chosen, key=lambda c: (c[0], c[1])))


_ASKS_FOR_WORKS = re.compile(r"\b(who wrote|wrote|author|authors|authored|cited|cite|cites|reference|paper on|"
                             r"published|benchmark)\b", re.I)


def _raw_sentences(passage: Passage) -> list[str]:
    from .text import sentence_spans

    return [passage.text[s:e] for s, e in sentence_spans(passage.text)] or [passage.text]


def normalize_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _quote(sentence: str) -> str:
    sentence = re.sub(r"^\*\*[^*]{1,80}:\*\*\s*", "", sentence.strip())  # a bullet's bold label is not a quote
    sentence = strip_markdown(sentence).strip()
    sentence = re.sub(r"^\d+\.\s+", "", sentence)  # numbered excerpt lists
    sentence = re.sub(r"\s*(?:<sup>)?\[\d[\d,\s–-]*\](?:</sup>)?", "", sentence)  # the source's own markers
    return "“" + sentence.strip(' “”"') + "”"


# ---------------------------------------------------------------- assembling


def assemble(question: str, claims: Sequence[Claim], evidence: Sequence[Evidence], **fields) -> Answer:
    """Renumber the cited passages 1..m in order of first use and render the answer text."""
    mapping: dict[int, int] = {}
    for claim in claims:
        for n in claim.citations:
            mapping.setdefault(n, len(mapping) + 1)
    renumbered = [Claim(c.text, tuple(mapping[n] for n in c.citations), c.support, c.supported, c.origin)
                  for c in claims]
    parts = []
    for claim in renumbered:
        markers = "".join(f"[{n}]" for n in claim.citations)
        text = claim.text.rstrip()
        if claim.origin == "quote":
            parts.append(f"{text} {markers}".strip())
        else:
            body = text[:-1] if text[-1:] in ".!?" else text
            end = text[-1] if text[-1:] in ".!?" else "."
            parts.append(f"{body} {markers}{end}".replace(" .", ".") if markers else f"{body}{end}")
    citations = tuple(Citation(new, evidence[old - 1]) for old, new in sorted(mapping.items(), key=lambda kv: kv[1]))
    return Answer(question=question, answer=" ".join(parts), citations=citations, claims=tuple(renumbered), **fields)


# ---------------------------------------------------------------- the pipeline


class AnswerEngine:
    """Holds the retriever and the backend; `stream` yields events, `ask` returns the Answer."""

    def __init__(self, settings: Settings | None = None, retriever: Retriever | None = None,
                 llm: str | BaseChatModel | None = None, backend_name: str | None = None,
                 wait_for_audit: bool = False):
        self.settings = settings or get_settings()
        # Citations carry the citation-audit verdicts of the paper passage they point at. The audit
        # costs ~10 s once per index; an interactive engine attaches verdicts only once they are cached
        # (the UI warms them at start), a one-shot CLI call may wait for them.
        self.wait_for_audit = wait_for_audit
        self.retriever = retriever or get_retriever(self.settings)
        self.embedder = self.retriever.embedder
        self._llm = llm
        self._backend_name = backend_name
        self._backend: Backend | None = None
        self._backend_error: str | None = None
        self._vocabulary: Vocabulary | None = None
        self._vocabulary_generation: str | None = None

    def backend(self) -> Backend | None:
        if self._backend is None and self._backend_error is None:
            if isinstance(self._llm, BaseChatModel):
                self._backend = Backend(self._backend_name or "custom", self._llm, reports_finish=False)
            else:
                try:
                    self._backend = get_backend(self._llm, self.settings)
                except BackendError as exc:
                    self._backend_error = str(exc)
        return self._backend

    def vocabulary(self) -> Vocabulary:
        index = self.retriever.index
        if self._vocabulary is None or self._vocabulary_generation != index.generation:
            cache = index.settings.index_dir / index.generation / "vocabulary.npz"
            self._vocabulary = Vocabulary(index.passages, self.embedder, cache if cache.parent.exists() else None)
            self._vocabulary_generation = index.generation
        return self._vocabulary

    def retrieve(self, question: str) -> list[Evidence]:
        evidence = self.retriever.search(question, self.settings.answer_passages)
        expanded = self.retriever.expand_citations(evidence[:2], question)
        extra = [e for e in expanded[len(evidence[:2]):] if e.passage.kind != "reference"]
        return evidence + extra[:2]

    def with_audit(self, answer: Answer) -> Answer:
        """Answer sentence → paper passage → source passage → verdict: each citation of a paper passage
        that itself cites sources carries the audit verdicts of those (sentence, reference) pairs."""
        if not answer.citations:
            return answer
        try:
            from .audit import verdict_summaries_by_passage, verdict_summaries_if_ready

            table = (verdict_summaries_by_passage(self.settings, self.embedder) if self.wait_for_audit
                     else verdict_summaries_if_ready(self.settings))
        except Exception:  # the audit enriches an answer; it must never break one
            log.exception("citation audit unavailable; answering without verdicts")
            return answer
        if not table:
            return answer
        citations = tuple(replace(c, audit=tuple(table[c.evidence.passage.id]))
                          if c.evidence.passage.id in table else c for c in answer.citations)
        return replace(answer, citations=citations)

    def stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        for event in self._stream(question, history):
            if event["type"] == "answer":
                event = {**event, "answer": self.with_audit(event["answer"])}
            yield event

    def _stream(self, question: str, history: Sequence[dict] | None = None) -> Iterator[dict]:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        text, notices = prepare_question(question, self.settings.max_question_chars)
        notices = list(notices)
        backend = self.backend()
        backend_name = backend.name if backend else "none"
        if backend is None and self._backend_error and "none" not in str(self._llm or ""):
            notices.append(prompts.BACKEND_FAILED.format(reason=self._backend_error))
        standalone = condense_question(text, history or [], backend)
        if standalone != text:
            yield {"type": "status", "text": f"Searching for: {standalone}"}
        fit_answer = self._maybe_fit(text, standalone, history or [], backend_name, notices)
        if fit_answer is not None:
            yield {"type": "answer", "answer": fit_answer}
            return
        evidence = self.retrieve(standalone)
        timings["retrieve_s"] = time.perf_counter() - started
        coverage = assess_coverage(standalone, evidence, self.vocabulary(), self.settings)
        common = dict(backend=backend_name, standalone_question=standalone)
        if not coverage.covered:
            yield {"type": "answer", "answer": Answer(
                question=text, answer=prompts.NOT_COVERED, citations=(), claims=(), grounded=False,
                mode="not-covered", related=tuple(evidence[:3]), notices=tuple(notices + [coverage.reason]),
                timings={**timings, "total_s": time.perf_counter() - started}, **common)}
            return
        draft = ""
        if backend is not None:
            yield {"type": "status", "text": "Drafting an answer from the passages…"}
            draft_started = time.perf_counter()
            try:
                finished = False
                for chunk in backend.model.stream(draft_messages(standalone, evidence)):
                    meta = chunk.response_metadata or {}
                    finished = finished or bool(meta.get("finish_reason") or meta.get("done_reason") or meta.get("done"))
                    token = str(chunk.content)
                    if token:
                        if not draft:
                            timings["first_token_s"] = time.perf_counter() - started
                        draft += token
                        yield {"type": "token", "text": token}
                    if time.perf_counter() - draft_started > self.settings.llm_timeout_s:
                        raise TimeoutError(f"no complete draft within {self.settings.llm_timeout_s:.0f} s")
                if backend.reports_finish and not finished:
                    raise ConnectionError("the stream ended before the model finished")
            except Exception as exc:  # any backend failure degrades to the evidence answer
                notices.append(prompts.BACKEND_FAILED.format(reason=f"{exc.__class__.__name__}: {exc}"[:200]))
                draft = ""
            timings["draft_s"] = time.perf_counter() - draft_started
        verify_started = time.perf_counter()
        verified = verify_draft(draft, evidence, self.embedder, self.settings) if draft else Verified([], 0, [])
        timings["verify_s"] = time.perf_counter() - verify_started
        survived = len(verified.claims) / verified.total if verified.total else 0.0
        best, quotes = evidence_claims(standalone, evidence, self.embedder, self.settings, self.vocabulary().idf)
        if verified.claims and survived >= self.settings.min_surviving_share:
            # Lead with the most direct evidence sentences, then the model's verified sentences that add
            # something to them.
            lead = best[: self.settings.grounded_lead_quotes]
            claims = lead + non_redundant(verified.claims, lead, self.embedder, self.settings.redundancy_similarity)
            mode = "grounded"
        else:
            if draft and verified.total:
                notices.append(prompts.DRAFT_DROPPED)
            claims, mode = quotes, "evidence"
        timings["total_s"] = time.perf_counter() - started
        timings["draft_sentences"] = float(verified.total)
        timings["draft_kept"] = float(len(verified.claims))
        answer = assemble(text, claims, evidence, grounded=bool(claims), mode=mode, notices=tuple(notices),
                          draft=draft, timings=timings, **common)
        yield {"type": "answer", "answer": answer}

    def ask(self, question: str, history: Sequence[dict] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if event["type"] == "answer":
                final = event["answer"]
        assert final is not None
        return final

    # Role-fit routing: "which role fits me?" goes to the fit engine, as does the self-description a user
    # gives after the advisor asked for one.
    def _maybe_fit(self, question: str, standalone: str, history: Sequence[dict], backend_name: str,
                   notices: list[str]) -> Answer | None:
        from . import fit

        asked_for_profile = bool(history) and history[-1].get("role") == "assistant" and \
            str(history[-1].get("content", "")).startswith(prompts.FIT_NEEDS_PROFILE[:30])
        if not (fit.is_fit_question(question) or asked_for_profile):
            return None
        return fit_answer(question, history, backend_name, notices, self.settings)


def fit_answer(question: str, history: Sequence[dict], backend_name: str, notices: list[str],
               settings: Settings) -> Answer:
    """Answer a fit question with the role-fit engine, from the user's own words in this chat; every
    reason cites the Table 1 row or the Section 3/4 passage it rests on."""
    from . import fit

    profile = " ".join([str(m["content"]) for m in history if m.get("role") == "user"] + [question])
    result = fit.fit(profile, settings=settings)
    data = result.to_dict()
    common = dict(question=question, backend=backend_name, mode="fit", fit=data)
    if result.needs_more or not result.ranking:
        return Answer(answer=prompts.FIT_NEEDS_PROFILE, citations=(), claims=(), grounded=False,
                      notices=tuple(notices + [result.message] if result.message else notices), **common)
    evidence: list[Evidence] = []
    claims: list[Claim] = []

    def cite(passages) -> tuple[int, ...]:
        numbers = []
        for passage in passages[:1]:
            ids = [e.passage.id for e in evidence]
            if passage.id not in ids:
                evidence.append(Evidence(passage, 0.0, ("fit",)))
                ids.append(passage.id)
            numbers.append(ids.index(passage.id) + 1)
        return tuple(numbers)

    top = result.ranking[0]
    runner = result.ranking[1] if len(result.ranking) > 1 else None
    lead = f"From what you describe, {top.role} fits best ({top.score:.0%} of the fit)"
    lead += f", ahead of {runner.role} ({runner.score:.0%})." if runner else "."
    claims.append(Claim(lead, cite(top.citations), 1.0, True, "fit"))
    for reason in top.reasons[:3]:
        claims.append(Claim(reason.text, cite(reason.citations), 1.0, True, "fit"))
    if result.close and result.follow_up:
        question_text = result.follow_up.get("question") if isinstance(result.follow_up, dict) else None
        if question_text:
            claims.append(Claim(str(question_text), (), 1.0, True, "note"))
    answer = assemble(question, claims, evidence, grounded=True, notices=tuple(notices), **{
        k: v for k, v in common.items() if k != "question"})
    return answer


_engines: dict[tuple, AnswerEngine] = {}


def get_engine(llm: str | None = None, settings: Settings | None = None) -> AnswerEngine:
    settings = settings or get_settings()
    key = (llm, id(settings))
    if key not in _engines:
        _engines[key] = AnswerEngine(settings, llm=llm)
    return _engines[key]


def stream_answer(question: str, history: list[dict] | None = None, *, llm: str | None = None,
                  settings: Settings | None = None) -> Iterator[dict]:
    """Events for the UI: {"type": "status"|"token", "text"} … then {"type": "answer", "answer": Answer}."""
    yield from get_engine(llm, settings).stream(question, history)


def answer_question(question: str, history: list[dict] | None = None, *, llm: str | None = None,
                    settings: Settings | None = None) -> Answer:
    return get_engine(llm, settings).ask(question, history)
