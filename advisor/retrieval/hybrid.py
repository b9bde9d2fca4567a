"""Hybrid retrieval: dense (Chroma + MiniLM) and lexical (bm25s) fused by reciprocal rank fusion."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Sequence

from cachetools import LRUCache

from ..core.cache import OnceCache
from ..core.settings import Settings, get_settings
from ..core.text import normalize_for_match, prepare_input
from ..core.types import BODY_KINDS, Evidence, Passage, PassageKind, adjacent_window_ids
from ..index import Index, bm25_tokenize, ensure_index
from ..index.embeddings import get_embedder

EMPTY_QUERY = "The query is empty: type a question or a few keywords."
LONG_QUERY = "Query was {length} characters; searched only the first {kept} (limit {limit})."


def prepare_query(raw: str | None, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """The query as searched (white space collapsed, cut to max_chars) and its notices.
    Raises InputError for an empty query."""
    return prepare_input(raw, max_chars, empty=EMPTY_QUERY, truncated=LONG_QUERY)


def reciprocal_rank_fusion(
    rankings: dict[str, list[str]], k: int = 60, weights: dict[str, float] | None = None
) -> list[tuple[str, float, tuple[str, ...]]]:
    """Fuse ranked id lists: score(d) = sum_r w_r / (k + rank_r(d)), rank from 1.
    Returns (id, score, retrievers that found it), best first; ties broken by id for stability."""
    scores: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    for name, ids in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, pid in enumerate(dict.fromkeys(ids), start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
            found.setdefault(pid, []).append(name)
    ordered = sorted(scores, key=lambda pid: (-scores[pid], pid))
    return [(pid, scores[pid], tuple(found[pid])) for pid in ordered]


class Retriever:
    """Searches one opened index. Thread-safe for concurrent queries."""

    def __init__(self, index: Index, settings: Settings | None = None, embedder=None):
        self.index = index
        self.settings = settings or index.settings
        # query token -> the index's spelling of it; user text is unbounded, the cache must not be
        self._spellings: LRUCache[str, str | None] = LRUCache(maxsize=10_000)
        self._spellings_lock = threading.Lock()
        self.embedder = embedder if embedder is not None else get_embedder(self.settings)

    # -- single retrievers
    def dense(self, query_vector, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        n = min(n, len(self.index.passages))
        result = self.index.collection.query(
            query_embeddings=[list(map(float, query_vector))], n_results=n, where=where, include=["distances"]
        )
        return [(pid, 1.0 - dist) for pid, dist in zip(result["ids"][0], result["distances"][0])]

    def lexical(self, query: str, n: int) -> list[tuple[str, float]]:
        tokens = bm25_tokenize([query])
        if not tokens.vocab or not any(tokens.ids):
            return []
        words = {i: w for w, i in tokens.vocab.items()}
        known = [t for t in (self.spelled_as_indexed(words[i]) for i in tokens.ids[0]) if t]
        if not known:
            return []
        n = min(n, len(self.index.passages))
        docs, scores = self.index.bm25.retrieve([known], k=n, show_progress=False, n_threads=1)
        return [(self.index.passages[int(i)].id, float(s)) for i, s in zip(docs[0], scores[0]) if s > 0]

    def spelled_as_indexed(self, token: str) -> str | None:
        """The index's own spelling of a (stemmed) query token: itself, the indexed token it is a typo of
        ("reserach" -> "research"), or None when the corpus has nothing like it."""
        vocab = self.index.bm25.vocab_dict
        if token in vocab:
            return token
        with self._spellings_lock:
            if token in self._spellings:
                return self._spellings[token]
        close = difflib.get_close_matches(token, list(vocab), n=1, cutoff=0.85) if len(token) >= 5 else []
        with self._spellings_lock:
            self._spellings[token] = close[0] if close else None
        return close[0] if close else None

    # -- hybrid
    def search(self, query: str, k: int | None = None) -> list[Evidence]:
        k = k or self.settings.retrieval.top_k
        text, _ = prepare_query(query, self.settings.retrieval.max_query_chars)
        vector = self.embedder.encode([text])[0]
        return self.search_vector(text, vector, k)

    def search_vector(self, query: str, vector, k: int) -> list[Evidence]:
        knobs = self.settings.retrieval
        dense = self.dense(vector, knobs.dense_candidates)
        lexical = self.lexical(query, knobs.lexical_candidates)
        fused = reciprocal_rank_fusion(
            {"dense": [d for d, _ in dense], "bm25": [d for d, _ in lexical]},
            k=knobs.rrf_k,
            weights={"dense": knobs.dense_weight, "bm25": knobs.bm25_weight},
        )
        prior = knobs.paper_prior
        fused = sorted(
            (
                (pid, score * (1 + prior) if self.index.by_id[pid].doc == "paper" else score, found)
                for pid, score, found in fused
            ),
            key=lambda t: (-t[1], t[0]),
        )
        dense_sim = dict(dense)
        dense_rank = {pid: r for r, (pid, _) in enumerate(dense, 1)}
        bm25_score = dict(lexical)
        bm25_rank = {pid: r for r, (pid, _) in enumerate(lexical, 1)}
        out: list[Evidence] = []
        seen_text: set[str] = set()
        for pid, score, found_by in fused:
            passage = self.index.by_id[pid]
            key = normalize_for_match(passage.text)
            if key in seen_text:  # the same words stored twice (e.g. a repeated excerpt) count once
                continue
            seen_text.add(key)
            ranks = {
                "dense_rank": dense_rank.get(pid),
                "dense_sim": dense_sim.get(pid),
                "bm25_rank": bm25_rank.get(pid),
                "bm25_score": bm25_score.get(pid),
            }
            out.append(Evidence(passage, score, found_by, ranks))
            if len(out) >= k:
                break
        return out

    # -- citation expansion
    def best_in_source(
        self, ref: int, vector, n: int = 1, kinds: tuple[str, ...] | None = None
    ) -> list[tuple[Passage, float]]:
        """The passages of source [ref] closest to vector (reference entries excluded unless asked)."""
        where: dict = {"doc": f"ref-{ref}"}
        kinds = kinds or BODY_KINDS
        where = {"$and": [where, {"kind": {"$in": [str(k) for k in kinds]}}]}
        try:
            hits = self.dense(vector, n, where=where)
        except Exception:  # a source with no passages of those kinds: Chroma may reject n > matches
            hits = []
        return [(self.index.by_id[pid], sim) for pid, sim in hits if pid in self.index.by_id]

    def best_in_sources(self, vector, n: int = 3, refs: Sequence[int] = ()) -> list[tuple[Passage, float]]:
        """The passages of the sources (of `refs`, or of every source) closest to vector, one query."""
        docs = {"doc": {"$in": [f"ref-{r}" for r in refs]}} if refs else {"doc": {"$ne": "paper"}}
        where = {"$and": [docs, {"kind": {"$in": [str(k) for k in BODY_KINDS]}}]}
        try:
            hits = self.dense(vector, n, where=where)
        except Exception:  # no passage matches the filter: Chroma may reject the query
            hits = []
        return [(self.index.by_id[pid], sim) for pid, sim in hits if pid in self.index.by_id]

    def adjacent_windows(self, passage: Passage) -> list[Passage]:
        """The windows before and after a passage that was cut from the same paragraph ("paper:5:03.1" ->
        ".0" and ".2"); none for a paragraph kept whole."""
        return [self.index.by_id[pid] for pid in adjacent_window_ids(passage.id) if pid in self.index.by_id]

    def expand_citations(self, evidence: list[Evidence], query: str | None = None, per_ref: int = 1) -> list[Evidence]:
        """For each paper passage citing [n], add source n's reference entry and its best
        passage (closest to the query, or to the citing passage). Off by default in search."""
        out = list(evidence)
        have = {e.passage.id for e in out}
        query_vector = self.embedder.encode([query])[0] if query else None
        for ev in evidence:
            if ev.passage.doc != "paper" or ev.passage.kind == PassageKind.REFERENCE:
                continue
            vector = query_vector if query_vector is not None else self.embedder.encode([ev.passage.text])[0]
            for ref in ev.passage.cites:
                entry = self.index.by_id.get(f"ref-{ref}:reference")
                additions = [(entry, 0.0)] if entry else []
                additions += self.best_in_source(ref, vector, per_ref)
                for passage, sim in additions:
                    if passage.id in have:
                        continue
                    have.add(passage.id)
                    out.append(
                        Evidence(passage, ev.score * 0.5, ("citation",), {"via": ev.passage.id, "dense_sim": sim})
                    )
        return out


_RETRIEVERS: OnceCache[Retriever] = OnceCache(maxsize=4)


def get_retriever(settings: Settings | None = None, notify=print) -> Retriever:
    """The process-wide retriever over the live index (built on first use if missing)."""
    settings = settings or get_settings()
    key = (str(settings.index_dir), settings.chroma_url, str(settings.corpus_dir))
    return _RETRIEVERS.get(key, lambda: Retriever(ensure_index(settings, notify=notify), settings))
