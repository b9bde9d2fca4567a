"""Search latency: our hybrid search vs a raw chromadb query on the same collection, on the real
index and on 100k synthetic passages (random unit vectors for the dense side, generated text for BM25).

Targets (issue 2): p50 <= 15 ms in-process after warm-up (real index); p50 <= 60 ms at 100k passages.
Run: .venv/bin/python benchmarks/bench_retrieval.py [--runs 5] [--synthetic 100000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import median, p, print_table  # noqa: E402

from advisor.core.jsonl import load_jsonl  # noqa: E402
from advisor.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from advisor.core.types import Passage  # noqa: E402
from advisor.index import Index, bm25_tokenize  # noqa: E402
from advisor.retrieval import Retriever, get_retriever  # noqa: E402

QUESTIONS = PROJECT_ROOT / "benchmarks" / "data" / "dev_questions.jsonl"


def latency(fn, queries, runs):
    """Median over runs of each run's p50/p95 (ms), every query once per run."""
    p50s, p95s = [], []
    for _ in range(runs):
        times = []
        for q in queries:
            start = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - start) * 1000)
        p50s.append(p(times, 50))
        p95s.append(p(times, 95))
    return median(p50s), median(p95s)


def real_index(runs: int) -> list[list]:
    retriever = get_retriever(Settings(), notify=lambda m: None)
    queries = [q["q"] for q in load_jsonl(QUESTIONS)]
    for q in queries[:5]:
        retriever.search(q, 5)  # warm-up
    vectors = {q: retriever.embedder.encode([q])[0] for q in queries}
    ours = latency(lambda q: retriever.search(q, 5), queries, runs)
    ours_no_embed = latency(lambda q: retriever.search_vector(q, vectors[q], 5), queries, runs)
    embed = latency(lambda q: retriever.embedder.encode([q]), queries, runs)
    raw = latency(
        lambda q: retriever.index.collection.query(query_embeddings=[vectors[q].tolist()], n_results=5), queries, runs
    )
    n = len(retriever.index.passages)
    return [
        [f"real ({n})", "hybrid search (embed + dense + bm25 + RRF)", *ours, ours[0] / raw[0], 15.0],
        [f"real ({n})", "  of which query embedding (MiniLM)", *embed, embed[0] / raw[0], ""],
        [f"real ({n})", "hybrid search, query vector given", *ours_no_embed, ours_no_embed[0] / raw[0], ""],
        [f"real ({n})", "raw chromadb query (k=5)", *raw, 1.0, ""],
    ]


WORDS = """research engineer scientist applied model training distributed systems data pipeline deployment evaluation
publication infrastructure latency serving gpu cluster optimizer gradient benchmark agent memory retrieval
tool product customer experiment ablation scaling architecture transformer code""".split()


def synthetic(n: int, runs: int) -> list[list]:
    import bm25s
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    rng = np.random.default_rng(0)
    random.seed(0)
    texts = [" ".join(random.choices(WORDS, k=30)) for _ in range(n)]
    vectors = rng.standard_normal((n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    root = Path(tempfile.mkdtemp(prefix="bench-100k-"))
    try:
        client = chromadb.PersistentClient(path=str(root), settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.create_collection("synthetic", configuration={"hnsw": {"space": "cosine"}})
        ids = [f"s{i}" for i in range(n)]
        batch = 5000
        started = time.perf_counter()
        for lo in range(0, n, batch):
            collection.add(
                ids=ids[lo : lo + batch],
                embeddings=vectors[lo : lo + batch],
                metadatas=[{"doc": "synthetic", "kind": "paragraph"}] * len(ids[lo : lo + batch]),
            )
        load_s = time.perf_counter() - started
        bm25 = bm25s.BM25()
        bm25.index(bm25_tokenize(texts), show_progress=False)
        passages = [
            Passage(
                id=ids[i],
                text=texts[i],
                doc="synthetic",
                title="",
                section="",
                section_title="",
                kind="paragraph",
                cites=(),
                url="",
                file="",
                start=0,
                end=len(texts[i]),
            )
            for i in range(n)
        ]
        settings = Settings()
        index = Index(
            settings, {"generation": "synthetic", "collection": "synthetic"}, client, collection, bm25, passages
        )
        retriever = Retriever(index, settings)
        queries = [" ".join(random.choices(WORDS, k=8)) for _ in range(25)]
        qvec = {q: rng.standard_normal(384).astype(np.float32) for q in queries}
        for q in queries[:5]:
            retriever.search_vector(q, qvec[q], 5)
        ours = latency(lambda q: retriever.search_vector(q, qvec[q], 5), queries, runs)
        with_embed = latency(lambda q: retriever.search(q, 5), queries, runs)
        raw = latency(lambda q: collection.query(query_embeddings=[qvec[q].tolist()], n_results=5), queries, runs)
        label = f"synthetic ({n // 1000}k, load {load_s:.0f} s)"
        return [
            [label, "hybrid search incl. MiniLM query embedding", *with_embed, with_embed[0] / raw[0], 60.0],
            [label, "hybrid search, query vector given", *ours, ours[0] / raw[0], ""],
            [label, "raw chromadb query (k=5)", *raw, 1.0, ""],
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=100_000)
    args = parser.parse_args()
    rows = real_index(args.runs)
    if args.synthetic:
        rows += synthetic(args.synthetic, args.runs)
    print_table(
        f"Search latency (ms; median over {args.runs} runs of per-run p50/p95)",
        ["index", "what", "p50 ms", "p95 ms", "ratio to raw chroma (p50)", "target p50 ms"],
        rows,
    )


if __name__ == "__main__":
    main()
