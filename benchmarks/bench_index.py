"""Index build time against the raw encoder underneath, in one run: plain sentence-transformers encoding the
same passage texts, the project's embedding step, the whole build from scratch, and an unchanged re-index
(medians of --runs each, in temporary index dirs).

Targets: from scratch <= 30 s on 2 cores (issue 2); the whole build >= 0.8x the raw encoder's throughput
(issue 14: parsing, BM25, Chroma writes and the ONNX export must cost little next to embedding); re-index of
an unchanged corpus <= 2 s.
Run: .venv/bin/python benchmarks/bench_index.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import median, p, print_table, timed  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from advisor.core.settings import Settings  # noqa: E402
from advisor.corpus import load_corpus  # noqa: E402
from advisor.index import build_index  # noqa: E402
from advisor.index.embeddings import OnnxEncoder, get_embedder, onnx_path_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        settings = Settings()
        embedder = get_embedder(settings)  # model load is process start-up, not indexing
        texts = [passage.index_text for passage in load_corpus(settings.corpus_dir)]
        raw_model = SentenceTransformer(str(settings.embedding.resolved_model_path()), device="cpu")
        raw = timed(lambda: raw_model.encode(texts, batch_size=settings.embedding.batch_size), args.runs)
        ours = timed(lambda: embedder.encode(texts), args.runs)
        # The ONNX export (today used for queries) on the same texts in batches, as they come and length-sorted
        # (padding is per batch, so sorting shortens most batches), on every thread.
        size, onnx_rows = settings.embedding.batch_size, []
        if embedder.onnx is not None:
            batch_encoder = OnnxEncoder(
                onnx_path_for(settings), embedder.model[0].tokenizer, embedder.model.max_seq_length, embedder.threads
            )
            by_length = sorted(texts, key=len)
            for name, order in (("ONNX batches, corpus order", texts), ("ONNX batches, length-sorted", by_length)):
                seconds = timed(
                    lambda o=order: [batch_encoder.encode(o[i : i + size]) for i in range(0, len(o), size)], args.runs
                )
                onnx_rows.append([name, len(texts), median(seconds), p(seconds, 95), "", median(raw) / median(seconds)])
        scratch, unchanged, counts = [], [], None
        for run in range(args.runs):
            s = Settings(index_dir=root / f"run{run}", chroma_url=None)
            summary = build_index(s, progress=False, notify=lambda m: None)
            scratch.append(summary.seconds)
            counts = summary
            again = build_index(s, progress=False, notify=lambda m: None)
            assert again.embedded == 0
            unchanged.append(again.seconds)
        base = median(raw)
        rows = [
            ["raw sentence-transformers encode", len(texts), base, p(raw, 95), "", 1.0],
            ["project embedding step", len(texts), median(ours), p(ours, 95), "", base / median(ours)],
            *onnx_rows,
            [
                "whole build from scratch",
                counts.passages,
                median(scratch),
                p(scratch, 95),
                30.0,
                base / median(scratch),
            ],
            ["unchanged corpus", counts.passages, median(unchanged), p(unchanged, 95), 2.0, ""],
        ]
        print_table(
            f"Index build ({args.runs} runs, seconds; throughput = raw encode time / this time, target >= 0.8)",
            ["case", "passages", "median s", "p95 s", "target s", "throughput vs raw"],
            rows,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
