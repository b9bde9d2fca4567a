"""Retrieval recall@k and MRR against gold phrases, with the naive baseline measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ..core.jsonl import load_jsonl
from ..core.settings import Settings, get_settings
from ..core.text import normalize_for_match
from ..corpus import corpus_files
from ..index.embeddings import get_embedder
from ..retrieval import get_retriever

CUTOFFS = (1, 3, 5, 10)


def first_hit_rank(texts: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first text containing any gold phrase (eval normalisation)."""
    wanted = [normalize_for_match(g) for g in gold]
    for rank, text in enumerate(texts, 1):
        norm = f" {normalize_for_match(text)} "
        if any(f" {g} " in norm or g in norm for g in wanted if g):
            return rank
    return None


@dataclass
class RetrievalScores:
    name: str
    recall: dict[int, float]
    mrr: float
    misses: list[str]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            **{f"recall@{k}": round(v, 4) for k, v in self.recall.items()},
            "mrr": round(self.mrr, 4),
            "misses": self.misses,
        }


def score_rankings(name: str, questions: list[dict], ranked_texts: list[list[str]]) -> RetrievalScores:
    ranks = [first_hit_rank(texts, q["gold"]) for q, texts in zip(questions, ranked_texts)]
    n = max(len(questions), 1)
    recall = {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in CUTOFFS}
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= max(CUTOFFS)) / n
    misses = [q["id"] for q, r in zip(questions, ranks) if r is None or r > 5]
    return RetrievalScores(name, recall, mrr, misses)


def baseline_rankings(questions: list[dict], settings: Settings, k: int) -> list[list[str]]:
    """The naive RAG everyone starts with: RecursiveCharacterTextSplitter(1000, 200) over the corpus
    files, MiniLM dense top-k in its own (in-memory) Chroma collection via langchain-chroma."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks: list[str] = []
    for path in corpus_files(settings.corpus_dir):
        chunks.extend(splitter.split_text(path.read_text(encoding="utf-8")))
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma(
        collection_name="baseline_naive",
        client=client,
        embedding_function=get_embedder(settings),
        collection_configuration={"hnsw": {"space": "cosine"}},
    )
    store.add_texts(chunks)
    try:
        return [[d.page_content for d in store.similarity_search(q["q"], k=k)] for q in questions]
    finally:
        client.delete_collection("baseline_naive")


def evaluate_retrieval(set_path: Path, settings: Settings | None = None, baseline: bool = True) -> dict:
    settings = settings or get_settings()
    questions = [q for q in load_jsonl(set_path) if q.get("gold")]
    retriever = get_retriever(settings)
    k = max(CUTOFFS)
    ours = [[e.passage.text for e in retriever.search(q["q"], k)] for q in questions]
    result = {"questions": len(questions), "ours": score_rankings("hybrid", questions, ours).to_dict()}
    if baseline:
        base = score_rankings("baseline", questions, baseline_rankings(questions, settings, k))
        result["baseline"] = base.to_dict()
        b5 = base.recall[5]
        result["recall@5_ratio"] = round(result["ours"]["recall@5"] / b5, 3) if b5 else None
    return result
