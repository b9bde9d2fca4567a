"""Evaluation: retrieval recall/MRR against gold phrases, with a naive baseline in the same run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings, get_settings
from .text import normalize_for_match

CUTOFFS = (1, 3, 5, 10)


def load_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: malformed JSON ({exc.msg})") from exc
    return rows


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
        return {"name": self.name, **{f"recall@{k}": round(v, 4) for k, v in self.recall.items()},
                "mrr": round(self.mrr, 4), "misses": self.misses}


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
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from .corpus import corpus_files
    from .embeddings import get_embedder

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks: list[str] = []
    for path in corpus_files(settings.corpus_dir):
        chunks.extend(splitter.split_text(path.read_text(encoding="utf-8")))
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma(collection_name="baseline_naive", client=client, embedding_function=get_embedder(settings),
                   collection_configuration={"hnsw": {"space": "cosine"}})
    store.add_texts(chunks)
    try:
        return [[d.page_content for d in store.similarity_search(q["q"], k=k)] for q in questions]
    finally:
        client.delete_collection("baseline_naive")


def evaluate_retrieval(set_path: Path, settings: Settings | None = None, baseline: bool = True) -> dict:
    from .retrieve import get_retriever

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


def citation_supports(claim_text: str, passage, embedder, settings: Settings) -> bool:
    """ALCE-style judgement: the passage contains the sentence (a quote) or entails it by our verifier."""
    from .ground import score_support

    core = normalize_for_match(claim_text)
    if core and core in normalize_for_match(passage.text):
        return True
    return score_support(claim_text, [passage], embedder, settings).supported


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else 0.0


def evaluate_answers(set_path: Path, refusal_path: Path, llm: str | None, settings: Settings | None = None) -> dict:
    """Fact accuracy, citation precision and recall, refusal accuracy on both halves, latency,
    draft survival, and a count of citations to passages that were not retrieved (must be 0)."""
    from .answer import get_engine

    settings = settings or get_settings()
    engine = get_engine(llm, settings)
    engine.ask("warm-up question about research engineers")
    questions = [q for q in load_jsonl(set_path) if q.get("facts")]
    fact_hits, cited_pairs, supported_pairs, claims_total, claims_supported = 0, 0, 0, 0, 0
    latencies, drafted, kept, unretrieved, modes = [], 0.0, 0.0, 0, {}
    failures = []
    for q in questions:
        answer = engine.ask(q["q"])
        latencies.append(answer.timings.get("total_s", 0.0))
        drafted += answer.timings.get("draft_sentences", 0.0)
        kept += answer.timings.get("draft_kept", 0.0)
        modes[answer.mode] = modes.get(answer.mode, 0) + 1
        text = answer.answer.lower()
        ok = all(any(alt.lower() in text for alt in group) for group in q["facts"])
        fact_hits += ok
        if not ok:
            failures.append(q["id"])
        retrieved = {e.passage.id for e in engine.retrieve(answer.standalone_question or q["q"])}
        by_n = {c.n: c.evidence.passage for c in answer.citations}
        unretrieved += sum(1 for p in by_n.values() if p.id not in retrieved)
        for claim in answer.claims:
            claims_total += 1
            support = [citation_supports(claim.text.strip("“”"), by_n[n], engine.embedder, settings)
                       for n in claim.citations if n in by_n]
            cited_pairs += len(support)
            supported_pairs += sum(support)
            claims_supported += any(support)
    refusal = {True: [0, 0], False: [0, 0]}
    refusal_errors = []
    for q in load_jsonl(refusal_path):
        answer = engine.ask(q["q"])
        covered = answer.mode != "not-covered"
        refusal[bool(q["covered"])][0] += covered == bool(q["covered"])
        refusal[bool(q["covered"])][1] += 1
        if covered != bool(q["covered"]):
            refusal_errors.append(q["id"])
    n = max(len(questions), 1)
    return {
        "backend": engine.backend().name if engine.backend() else "none",
        "questions": len(questions),
        "fact_accuracy": fact_hits / n,
        "citation_precision": supported_pairs / cited_pairs if cited_pairs else 0.0,
        "citation_recall": claims_supported / claims_total if claims_total else 0.0,
        "refusal_accuracy_unanswerable": refusal[False][0] / max(refusal[False][1], 1),
        "refusal_accuracy_answerable": refusal[True][0] / max(refusal[True][1], 1),
        "citations_to_unretrieved": unretrieved,
        "draft_sentences": int(drafted),
        "draft_survival": kept / drafted if drafted else 0.0,
        "latency_p50_s": _percentile(latencies, 50),
        "latency_p95_s": _percentile(latencies, 95),
        "modes": modes,
        "fact_misses": failures,
        "refusal_errors": refusal_errors,
    }
